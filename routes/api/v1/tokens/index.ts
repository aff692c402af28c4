// GET lists the caller's API tokens; POST creates one and returns its secret
// once (it is stored hashed and can't be shown again).

import { define } from "../../../../lib/state.ts";
import { parseJsonBody } from "../../../../lib/api/problem.ts";
import {
  createApiToken,
  listApiTokens,
  newTokenSchema,
} from "../../../../lib/auth/api_tokens.ts";
import { recordAudit } from "../../../../lib/audit/audit_log.ts";
import { requestActor } from "../../../../lib/auth/request_actor.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const user = ctx.state.user!;
    return ctx.json(await listApiTokens(ctx.state.services.db, user.userId));
  },
  async POST(ctx) {
    const body = await parseJsonBody(ctx.req, newTokenSchema, "API token");
    const { db } = ctx.state.services;
    const user = ctx.state.user!;
    const { token, view } = await createApiToken(db, user.userId, body);
    await recordAudit(db, {
      actor: requestActor(ctx.state),
      action: "token.create",
      target: { type: "token", id: view.id, name: view.name },
      ip: ctx.state.ip,
      detail: { expiresAt: view.expiresAt },
    });
    return ctx.json({ ...view, token }, { status: 201 });
  },
});
