// The GET/PUT handlers of `/api/v1/{connectors|pipelines}/{id}/shares`,
// shared by both routes. Access was checked by authorize() already.

import { define } from "../state.ts";
import { idParam, parseJsonBody } from "../api/problem.ts";
import { recordAudit } from "../audit/audit_log.ts";
import { requestActor } from "../auth/request_actor.ts";
import {
  listShares,
  setShares,
  type ShareableResource,
  sharesSchema,
} from "./shares.ts";

/** Handlers listing and replacing the shares of a `type` resource. */
export function sharesHandlers(type: ShareableResource) {
  return define.handlers({
    async GET(ctx) {
      const id = idParam(ctx.params.id, type);
      return ctx.json(await listShares(ctx.state.services.db, type, id));
    },
    async PUT(ctx) {
      const id = idParam(ctx.params.id, type);
      const body = await parseJsonBody(ctx.req, sharesSchema, "shares");
      const { db } = ctx.state.services;
      const shares = await setShares(db, type, id, body.userIds);
      await recordAudit(db, {
        actor: requestActor(ctx.state),
        action: `${type}.share`,
        target: { type, id },
        ip: ctx.state.ip,
        detail: { userIds: shares.map((share) => share.userId) },
      });
      return ctx.json(shares);
    },
  });
}
