// Accounts (admins only): the list, and a form creating one with its role
// and first password. Audited like `POST /api/v1/users`.

import { FieldErrors } from "../../../components/FieldErrors.tsx";
import { page } from "../../../lib/web/mod.ts";
import { define } from "../../../lib/state.ts";
import { type FieldError, fieldErrors } from "../../../lib/api/problem.ts";
import { recordAudit } from "../../../lib/audit/audit_log.ts";
import { requestActor } from "../../../lib/auth/request_actor.ts";
import { ROLES } from "../../../lib/auth/principal.ts";
import {
  createUser,
  EmailTakenError,
  listUsers,
  newUserSchema,
  type UserView,
} from "../../../lib/auth/users.ts";
import { formatTime } from "../../../components/format.ts";

interface Data {
  users: UserView[];
  values: { email: string; name: string; role: string };
  errors: FieldError[];
}

function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
}

export const handler = define.handlers({
  async GET(ctx) {
    return page<Data>({
      users: await listUsers(ctx.state.services.db),
      values: { email: "", name: "", role: "viewer" },
      errors: [],
    });
  },
  async POST(ctx) {
    const { db } = ctx.state.services;
    const form = await ctx.req.formData();
    const values = {
      email: field(form, "email"),
      name: field(form, "name"),
      role: field(form, "role"),
    };
    const parsed = newUserSchema.safeParse({
      ...values,
      password: field(form, "password"),
    });
    let errors: FieldError[];
    let status = 422;
    if (parsed.success) {
      try {
        const user = await db.transaction(async (tx) => {
          const user = await createUser(tx, parsed.data);
          await recordAudit(tx, {
            actor: requestActor(ctx.state),
            action: "user.create",
            target: { type: "user", id: user.id, name: user.email },
            ip: ctx.state.ip,
            detail: { role: user.role },
          });
          return user;
        });
        return ctx.redirect(`/admin/users/${user.id}?created`);
      } catch (error) {
        if (!(error instanceof EmailTakenError)) throw error;
        errors = [{ field: "email", message: "already has an account" }];
        status = 409;
      }
    } else {
      errors = fieldErrors(parsed.error);
    }
    return page<Data>({ users: await listUsers(db), values, errors }, {
      status,
    });
  },
});

export default define.page<typeof handler>(({ data }) => {
  const { values, errors } = data;
  const invalid = (name: string) =>
    errors.some((e) => e.field === name) || undefined;
  return (
    <section>
      <h1>Users</h1>
      <table id="users">
        <thead>
          <tr>
            <th>Email</th>
            <th>Name</th>
            <th>Role</th>
            <th>Active</th>
            <th>Created</th>
          </tr>
        </thead>
        <tbody>
          {data.users.map((u) => (
            <tr key={u.id} data-user={u.email}>
              <td>
                <a href={`/admin/users/${u.id}`}>{u.email}</a>
              </td>
              <td>{u.name}</td>
              <td class="role">{u.role}</td>
              <td class="active">{u.active ? "yes" : "no"}</td>
              <td>{formatTime(u.createdAt.toISOString())}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>New user</h2>
      <form method="post" action="/admin/users" class="form" id="new-user">
        <label>
          Email
          <input
            type="email"
            name="email"
            id="user-email"
            required
            value={values.email}
            aria-invalid={invalid("email")}
          />
          <FieldErrors errors={errors} name="email" />
        </label>
        <label>
          Name
          <input
            name="name"
            id="user-name"
            value={values.name}
            aria-invalid={invalid("name")}
          />
          <FieldErrors errors={errors} name="name" />
        </label>
        <label>
          Role
          <select name="role" id="user-role" aria-invalid={invalid("role")}>
            {ROLES.map((role) => (
              <option key={role} value={role} selected={role === values.role}>
                {role}
              </option>
            ))}
          </select>
          <FieldErrors errors={errors} name="role" />
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            id="user-password"
            required
            minLength={12}
            autocomplete="new-password"
            aria-invalid={invalid("password")}
          />
          <FieldErrors errors={errors} name="password" />
        </label>
        <p class="hint">
          They sign in with this email and password. To set a new password
          later, open the user.
        </p>
        <button type="submit" id="create-user">Create user</button>
      </form>
    </section>
  );
});
