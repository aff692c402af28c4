// Form field errors and the password + confirmation pair, shared by the
// account, setup and user-administration pages.

import type { FieldError } from "../lib/api/problem.ts";

/** The errors of field `name`, under its input. */
export function FieldErrors(
  { errors, name }: { errors: FieldError[]; name: string },
) {
  const mine = errors.filter((e) => e.field === name);
  if (mine.length === 0) return null;
  return (
    <p class="error field-error" data-error-for={name}>
      {mine.map((e) => e.message).join("; ")}
    </p>
  );
}

/** Props of {@linkcode PasswordFields}: the two inputs' element ids. */
export interface PasswordFieldsProps {
  errors: FieldError[];
  passwordId: string;
  confirmId: string;
}

/** A new password (`password`) and its confirmation (`confirm`). */
export function PasswordFields(
  { errors, passwordId, confirmId }: PasswordFieldsProps,
) {
  return (
    <>
      <label>
        Password
        <input
          type="password"
          name="password"
          id={passwordId}
          required
          minLength={12}
          autocomplete="new-password"
        />
        <FieldErrors errors={errors} name="password" />
      </label>
      <label>
        Password again
        <input
          type="password"
          name="confirm"
          id={confirmId}
          required
          autocomplete="new-password"
        />
        <FieldErrors errors={errors} name="confirm" />
      </label>
    </>
  );
}
