// The signed-in user's account: who they are, their API tokens (create,
// revoke; a new token's secret is shown once, on the page that created it)
// and "Sign out everywhere". Each action is a form post with `_action`.

import { FieldErrors } from "../components/FieldErrors.tsx";
import { HttpError, page } from "../lib/web/mod.ts";
import { define } from "../lib/state.ts";
import { type FieldError, fieldErrors, idParam } from "../lib/api/problem.ts";
import { recordAudit } from "../lib/audit/audit_log.ts";
import { requestActor } from "../lib/auth/request_actor.ts";
import {
  type ApiTokenView,
  createApiToken,
  listApiTokens,
  newTokenSchema,
  revokeApiToken,
} from "../lib/auth/api_tokens.ts";
import {
  clearedSessionCookie,
  deleteUserSessions,
} from "../lib/auth/sessions.ts";
import { formatTime } from "../components/format.ts";

interface Data {
  tokens: ApiTokenView[];
  /** The token just created: its secret, shown this once. */
  created: { token: string; name: string } | null;
  values: { name: string; expiresInDays: string };
  errors: FieldError[];
  revoked: boolean;
}

function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
}

function time(date: Date | null, none: string): string {
  return date ? formatTime(date.toISOString()) : none;
}

export const handler = define.handlers({
  async GET(ctx) {
    const user = ctx.state.user!;
    return page<Data>({
      tokens: await listApiTokens(ctx.state.services.db, user.userId),
      created: null,
      values: { name: "", expiresInDays: "" },
      errors: [],
      revoked: ctx.url.searchParams.has("revoked"),
    });
  },
  async POST(ctx) {
    const { db } = ctx.state.services;
    const user = ctx.state.user!;
    const form = await ctx.req.formData();
    const action = field(form, "_action");
    if (action === "create-token") {
      const values = {
        name: field(form, "name"),
        expiresInDays: field(form, "expiresInDays").trim(),
      };
      const parsed = newTokenSchema.safeParse({
        name: values.name,
        expiresInDays: values.expiresInDays === ""
          ? undefined
          : Number(values.expiresInDays),
      });
      if (!parsed.success) {
        return page<Data>({
          tokens: await listApiTokens(db, user.userId),
          created: null,
          values,
          errors: fieldErrors(parsed.error),
          revoked: false,
        }, { status: 422 });
      }
      const { token, view } = await createApiToken(
        db,
        user.userId,
        parsed.data,
      );
      await recordAudit(db, {
        actor: requestActor(ctx.state),
        action: "token.create",
        target: { type: "token", id: view.id, name: view.name },
        ip: ctx.state.ip,
        detail: { expiresAt: view.expiresAt },
      });
      return page<Data>({
        tokens: await listApiTokens(db, user.userId),
        created: { token, name: view.name },
        values: { name: "", expiresInDays: "" },
        errors: [],
        revoked: false,
      }, { status: 201, headers: { "cache-control": "no-store" } });
    }
    if (action === "revoke-token") {
      const id = idParam(field(form, "token"), "API token");
      // Only the user's own tokens: another user's id is "not found".
      const revoked = await revokeApiToken(db, user.userId, id);
      if (!revoked) throw new HttpError(404, `API token "${id}" not found`);
      await recordAudit(db, {
        actor: requestActor(ctx.state),
        action: "token.revoke",
        target: { type: "token", id, name: revoked.name },
        ip: ctx.state.ip,
      });
      return ctx.redirect("/account?revoked");
    }
    if (action === "sign-out-everywhere") {
      const ended = await deleteUserSessions(db, user.userId);
      await recordAudit(db, {
        actor: requestActor(ctx.state),
        action: "auth.sign_out_everywhere",
        ip: ctx.state.ip,
        detail: { sessions: ended },
      });
      const response = ctx.redirect("/login");
      response.headers.set(
        "set-cookie",
        clearedSessionCookie(ctx.state.https),
      );
      return response;
    }
    throw new HttpError(400, `Unknown action ${JSON.stringify(action)}`);
  },
});

export default define.page<typeof handler>(({ data, state }) => {
  const user = state.user!;
  return (
    <section>
      <h1>Your account</h1>
      <dl class="facts" id="account">
        <dt>Email</dt>
        <dd id="account-email">{user.email}</dd>
        <dt>Name</dt>
        <dd>{user.name || "—"}</dd>
        <dt>Role</dt>
        <dd id="account-role">{user.role}</dd>
      </dl>

      <h2>API tokens</h2>
      <p class="hint">
        A token acts as you, with your role, in{" "}
        <code>Authorization: Bearer …</code>{" "}
        headers of API requests, until it expires or you revoke it.
      </p>
      {data.created && (
        <div class="token-once" id="new-token" role="status">
          <p>
            <strong>Copy the token "{data.created.name}" now.</strong>{" "}
            It is shown only this once: the server keeps only its hash and
            cannot show it again.
          </p>
          <code id="new-token-value">{data.created.token}</code>
        </div>
      )}
      {data.revoked && <p class="ok" id="revoked">Token revoked.</p>}
      {data.tokens.length === 0
        ? <p class="hint" id="no-tokens">No tokens yet.</p>
        : (
          <table id="tokens">
            <thead>
              <tr>
                <th>Name</th>
                <th>Token</th>
                <th>Created</th>
                <th>Expires</th>
                <th>Last used</th>
                <th>Revoked</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {data.tokens.map((t) => (
                <tr key={t.id} data-token={t.id}>
                  <td>{t.name}</td>
                  <td>
                    <code class="token-prefix">{t.prefix}…</code>
                  </td>
                  <td>{time(t.createdAt, "—")}</td>
                  <td>{time(t.expiresAt, "never")}</td>
                  <td>{time(t.lastUsedAt, "never")}</td>
                  <td>{time(t.revokedAt, "—")}</td>
                  <td>
                    {!t.revokedAt && (
                      <form method="post" action="/account" class="inline">
                        <input
                          type="hidden"
                          name="_action"
                          value="revoke-token"
                        />
                        <input
                          type="hidden"
                          name="token"
                          value={String(t.id)}
                        />
                        <button type="submit" class="subtle">Revoke</button>
                      </form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      <h3>New token</h3>
      <form method="post" action="/account" class="form" id="new-token-form">
        <input type="hidden" name="_action" value="create-token" />
        <label>
          Name
          <input
            name="name"
            id="token-name"
            required
            maxLength={100}
            placeholder="ci-deploy"
            value={data.values.name}
            aria-invalid={data.errors.some((e) => e.field === "name") ||
              undefined}
          />
          <FieldErrors errors={data.errors} name="name" />
        </label>
        <label>
          Expires after (days)
          <input
            type="number"
            name="expiresInDays"
            id="token-days"
            min={1}
            max={3650}
            placeholder="never"
            value={data.values.expiresInDays}
            aria-invalid={data.errors.some((e) =>
              e.field === "expiresInDays"
            ) || undefined}
          />
          <FieldErrors errors={data.errors} name="expiresInDays" />
        </label>
        <button type="submit" id="create-token">Create token</button>
      </form>

      <h2>Sessions</h2>
      <p class="hint">
        Signs you out in every browser, this one included. API tokens keep
        working: revoke them above.
      </p>
      <form method="post" action="/account" class="danger">
        <input type="hidden" name="_action" value="sign-out-everywhere" />
        <button type="submit" id="sign-out-everywhere">
          Sign out everywhere
        </button>
      </form>
    </section>
  );
});
