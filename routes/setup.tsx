// Creates the first admin from the one-time link printed at start-up
// (`/setup?token=…`), then signs them in. A used, expired or unknown link
// gets a 410 page saying how to get a new one.

import { FieldErrors, PasswordFields } from "../components/FieldErrors.tsx";
import { page } from "../lib/web/mod.ts";
import { define } from "../lib/state.ts";
import { type FieldError, fieldErrors } from "../lib/api/problem.ts";
import { recordAudit } from "../lib/audit/audit_log.ts";
import { setupTokenValid, useSetupToken } from "../lib/auth/first_admin.ts";
import {
  createSession,
  deleteSession,
  sessionCookie,
} from "../lib/auth/sessions.ts";
import { newUserSchema } from "../lib/auth/users.ts";

type Data =
  | { kind: "gone" }
  | {
    kind: "form";
    token: string;
    values: { email: string; name: string };
    errors: FieldError[];
  };

const adminSchema = newUserSchema.omit({ role: true });

function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
}

const gone = () => page<Data>({ kind: "gone" }, { status: 410 });

export const handler = define.handlers({
  async GET(ctx) {
    const token = ctx.url.searchParams.get("token") ?? "";
    if (!token || !await setupTokenValid(ctx.state.services.db, token)) {
      return gone();
    }
    return page<Data>({
      kind: "form",
      token,
      values: { email: "", name: "" },
      errors: [],
    });
  },
  async POST(ctx) {
    const { db } = ctx.state.services;
    const form = await ctx.req.formData();
    const token = field(form, "token");
    if (!token || !await setupTokenValid(db, token)) return gone();
    const values = { email: field(form, "email"), name: field(form, "name") };
    const password = field(form, "password");
    const parsed = adminSchema.safeParse({ ...values, password });
    const errors = parsed.success ? [] : fieldErrors(parsed.error);
    if (password !== field(form, "confirm")) {
      errors.push({ field: "confirm", message: "does not match the password" });
    }
    if (!parsed.success || errors.length > 0) {
      return page<Data>({ kind: "form", token, values, errors }, {
        status: 422,
      });
    }
    const admin = await useSetupToken(db, token, parsed.data);
    // Someone else used the link in the meantime.
    if (!admin) return gone();
    if (ctx.state.sessionToken) await deleteSession(db, ctx.state.sessionToken);
    const session = await createSession(db, admin.id, {
      ip: ctx.state.ip,
      userAgent: ctx.req.headers.get("user-agent") ?? "",
    });
    await recordAudit(db, {
      actor: { id: admin.id, label: admin.email },
      action: "auth.sign_in",
      ip: ctx.state.ip,
      detail: { from: "setup link" },
    });
    const response = ctx.redirect("/");
    response.headers.set(
      "set-cookie",
      sessionCookie(session.token, { secure: ctx.state.https }),
    );
    return response;
  },
});

export default define.page<typeof handler>(({ data }) => {
  if (data.kind === "gone") {
    return (
      <section class="auth">
        <h1>This setup link no longer works</h1>
        <p class="error" id="setup-gone">
          The link is unknown, expired (it works for one hour) or already used.
        </p>
        <p>
          If no account exists yet, restart the server: it prints a new setup
          link. Or set <code>ETL_ADMIN_EMAIL</code> and{" "}
          <code>ETL_ADMIN_PASSWORD</code>{" "}
          before starting it to create the first admin without a link.
        </p>
        <p>
          If the admin account already exists, <a href="/login">sign in</a>.
        </p>
      </section>
    );
  }
  const { values, errors } = data;
  return (
    <section class="auth">
      <h1>Create the admin account</h1>
      <p class="hint">
        This account can create the other accounts. The password needs at least
        12 characters.
      </p>
      <form method="post" action="/setup" class="form" id="setup-form">
        <input type="hidden" name="token" value={data.token} />
        <label>
          Email
          <input
            type="email"
            name="email"
            id="email"
            required
            autocomplete="username"
            value={values.email}
          />
          <FieldErrors errors={errors} name="email" />
        </label>
        <label>
          Name
          <input
            name="name"
            id="name"
            autocomplete="name"
            value={values.name}
          />
          <FieldErrors errors={errors} name="name" />
        </label>
        <PasswordFields
          errors={errors}
          passwordId="password"
          confirmId="confirm"
        />
        <button type="submit" id="create-admin">Create and sign in</button>
      </form>
    </section>
  );
});
