// DELETE revokes one of the caller's tokens. Another user's token id is
// answered 404, exactly like an unknown one.

import { define } from "../../../../lib/state.ts";
import { HttpError } from "../../../../lib/web/mod.ts";
import { idParam } from "../../../../lib/api/problem.ts";
import { revokeApiToken } from "../../../../lib/auth/api_tokens.ts";
import { recordAudit } from "../../../../lib/audit/audit_log.ts";
import { requestActor } from "../../../../lib/auth/request_actor.ts";

export const handler = define.handlers({
  async DELETE(ctx) {
    const id = idParam(ctx.params.id, "API token");
    const { db } = ctx.state.services;
    const revoked = await revokeApiToken(db, ctx.state.user!.userId, id);
    if (!revoked) throw new HttpError(404, `API token "${id}" not found`);
    await recordAudit(db, {
      actor: requestActor(ctx.state),
      action: "token.revoke",
      target: { type: "token", id, name: revoked.name },
      ip: ctx.state.ip,
    });
    return new Response(null, { status: 204 });
  },
});
