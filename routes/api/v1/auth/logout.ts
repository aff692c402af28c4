// POST: ends this session; with {"everywhere": true}, every session of the
// user (their API tokens stay: revoke those under /tokens).

import { logoutSchema } from "../../../../lib/auth/auth_requests.ts";
import { define } from "../../../../lib/state.ts";
import { parseJsonBody } from "../../../../lib/api/problem.ts";
import {
  clearedSessionCookie,
  deleteSession,
  deleteUserSessions,
} from "../../../../lib/auth/sessions.ts";
import { recordAudit } from "../../../../lib/audit/audit_log.ts";
import { requestActor } from "../../../../lib/auth/request_actor.ts";

export const handler = define.handlers({
  async POST(ctx) {
    const hasBody = (ctx.req.headers.get("content-length") ?? "0") !== "0" ||
      ctx.req.headers.has("transfer-encoding");
    const { everywhere } = hasBody
      ? await parseJsonBody(ctx.req, logoutSchema, "sign-out")
      : { everywhere: false };
    const { db } = ctx.state.services;
    const user = ctx.state.user!;
    let ended = 0;
    if (everywhere) ended = await deleteUserSessions(db, user.userId);
    else if (ctx.state.sessionToken) {
      await deleteSession(db, ctx.state.sessionToken);
      ended = 1;
    }
    await recordAudit(db, {
      actor: requestActor(ctx.state),
      action: everywhere ? "auth.sign_out_everywhere" : "auth.sign_out",
      ip: ctx.state.ip,
      detail: { sessions: ended },
    });
    return ctx.json({ ended }, {
      headers: {
        "set-cookie": clearedSessionCookie(ctx.state.https),
      },
    });
  },
});
