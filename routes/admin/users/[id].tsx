// One account (admins only): change its name, role and whether it is
// active, or set a new password. Refuses (409) to demote or deactivate the
// last active admin. Audited like `PUT /api/v1/users/{id}`.

import {
  FieldErrors,
  PasswordFields,
} from "../../../components/FieldErrors.tsx";
import { HttpError, page } from "../../../lib/web/mod.ts";
import { define, type State } from "../../../lib/state.ts";
import {
  type FieldError,
  fieldErrors,
  idParam,
} from "../../../lib/api/problem.ts";
import { recordAudit } from "../../../lib/audit/audit_log.ts";
import { requestActor } from "../../../lib/auth/request_actor.ts";
import { ROLES } from "../../../lib/auth/principal.ts";
import {
  getUser,
  LastAdminError,
  updateUser,
  type UserChanges,
  userChangesSchema,
  type UserView,
} from "../../../lib/auth/users.ts";
import { formatTime } from "../../../components/format.ts";

interface Data {
  user: UserView;
  values: { name: string; role: string; active: boolean };
  errors: FieldError[];
  /** Why the change was refused as a whole (the last admin). */
  refused: string | null;
  notice: string | null;
}

const NOTICES: Record<string, string> = {
  created: "User created.",
  saved: "Saved.",
  password: "Password set. The user's sessions were ended.",
};

function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
}

async function load(
  ctx: { params: Record<string, string>; state: State },
): Promise<UserView> {
  const id = idParam(ctx.params.id, "User");
  const user = await getUser(ctx.state.services.db, id);
  if (!user) throw new HttpError(404, `User "${id}" not found`);
  return user;
}

function data(user: UserView, more: Partial<Data> = {}): Data {
  return {
    user,
    values: { name: user.name, role: user.role, active: user.active },
    errors: [],
    refused: null,
    notice: null,
    ...more,
  };
}

export const handler = define.handlers({
  async GET(ctx) {
    const user = await load(ctx);
    const notice = Object.keys(NOTICES).find((key) =>
      ctx.url.searchParams.has(key)
    );
    return page(data(user, { notice: notice ? NOTICES[notice] : null }));
  },
  async POST(ctx) {
    const user = await load(ctx);
    const { db } = ctx.state.services;
    const form = await ctx.req.formData();
    const action = field(form, "_action");
    let raw: Record<string, unknown>;
    const errors: FieldError[] = [];
    if (action === "update") {
      const values = {
        name: field(form, "name"),
        role: field(form, "role"),
        active: form.has("active"),
      };
      // Only what changed, so the audit trail says what the admin did.
      raw = {};
      if (values.name.trim() !== user.name) raw.name = values.name;
      if (values.role !== user.role) raw.role = values.role;
      if (values.active !== user.active) raw.active = values.active;
      const parsed = userChangesSchema.safeParse(raw);
      if (!parsed.success) {
        return page(data(user, { values, errors: fieldErrors(parsed.error) }), {
          status: 422,
        });
      }
      return await apply(parsed.data, values);
    }
    if (action === "password") {
      const password = field(form, "password");
      const parsed = userChangesSchema.safeParse({ password });
      if (!parsed.success) errors.push(...fieldErrors(parsed.error));
      if (password !== field(form, "confirm")) {
        errors.push({
          field: "confirm",
          message: "does not match the password",
        });
      }
      if (!parsed.success || errors.length > 0) {
        return page(data(user, { errors }), { status: 422 });
      }
      return await apply(parsed.data);
    }
    throw new HttpError(400, `Unknown action ${JSON.stringify(action)}`);

    async function apply(changes: UserChanges, values?: Data["values"]) {
      if (Object.keys(changes).length === 0) {
        return ctx.redirect(`/admin/users/${user.id}?saved`);
      }
      let updated;
      try {
        updated = await updateUser(db, user.id, changes);
      } catch (error) {
        if (!(error instanceof LastAdminError)) throw error;
        return page(data(user, { values, refused: error.message }), {
          status: 409,
        });
      }
      if (!updated) throw new HttpError(404, `User "${user.id}" not found`);
      const { password, ...visible } = changes;
      await recordAudit(db, {
        actor: requestActor(ctx.state),
        action: changes.active === false ? "user.deactivate" : "user.update",
        target: { type: "user", id: user.id, name: updated.email },
        ip: ctx.state.ip,
        detail: { ...visible, passwordChanged: password !== undefined },
      });
      return ctx.redirect(
        `/admin/users/${user.id}?${
          password === undefined ? "saved" : "password"
        }`,
      );
    }
  },
});

export default define.page<typeof handler>(({ data }) => {
  const { user, values, errors } = data;
  return (
    <section>
      <p class="hint">
        <a href="/admin/users">Users</a> /
      </p>
      <h1 id="user-email">{user.email}</h1>
      <p class="hint">
        {user.active ? "Active" : "Inactive"} · created{" "}
        {formatTime(user.createdAt.toISOString())}
      </p>
      {data.notice && <p class="ok" id="notice">{data.notice}</p>}
      {data.refused && (
        <p class="error" id="refused" role="alert">{data.refused}</p>
      )}
      <h2>Account</h2>
      <form
        method="post"
        action={`/admin/users/${user.id}`}
        class="form"
        id="edit-user"
      >
        <input type="hidden" name="_action" value="update" />
        <label>
          Name
          <input name="name" id="user-name" value={values.name} />
          <FieldErrors errors={errors} name="name" />
        </label>
        <label>
          Role
          <select name="role" id="user-role">
            {ROLES.map((role) => (
              <option key={role} value={role} selected={role === values.role}>
                {role}
              </option>
            ))}
          </select>
          <FieldErrors errors={errors} name="role" />
        </label>
        <label class="inline">
          <input
            type="checkbox"
            name="active"
            id="user-active"
            checked={values.active}
          />{" "}
          Active
        </label>
        <p class="hint">
          An inactive user cannot sign in: their sessions end and their API
          tokens stop working at once.
        </p>
        <button type="submit" id="save-user">Save</button>
      </form>
      <h2>New password</h2>
      <form
        method="post"
        action={`/admin/users/${user.id}`}
        class="form"
        id="set-password"
      >
        <input type="hidden" name="_action" value="password" />
        <PasswordFields
          errors={errors}
          passwordId="new-password"
          confirmId="confirm-password"
        />
        <p class="hint">Setting a password ends the user's sessions.</p>
        <button type="submit" id="save-password">Set password</button>
      </form>
    </section>
  );
});
