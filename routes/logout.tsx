// POST ends this browser's session and goes back to the sign-in page. There
// is no GET: a link or a prefetch must not sign anyone out.

import { define } from "../lib/state.ts";
import { recordAudit } from "../lib/audit/audit_log.ts";
import { requestActor } from "../lib/auth/request_actor.ts";
import { clearedSessionCookie, deleteSession } from "../lib/auth/sessions.ts";

export const handler = define.handlers({
  async POST(ctx) {
    const { db } = ctx.state.services;
    let ended = 0;
    if (ctx.state.sessionToken) {
      await deleteSession(db, ctx.state.sessionToken);
      ended = 1;
    }
    await recordAudit(db, {
      actor: requestActor(ctx.state),
      action: "auth.sign_out",
      ip: ctx.state.ip,
      detail: { sessions: ended },
    });
    const response = ctx.redirect("/login");
    response.headers.set(
      "set-cookie",
      clearedSessionCookie(ctx.state.https),
    );
    return response;
  },
});
