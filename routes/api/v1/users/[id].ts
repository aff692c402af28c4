// GET one account; PUT changes name, role, active or password. Deactivating
// ends the user's sessions and stops their tokens at once.

import { define } from "../../../../lib/state.ts";
import { HttpError } from "../../../../lib/web/mod.ts";
import { idParam, parseJsonBody } from "../../../../lib/api/problem.ts";
import {
  getUser,
  LastAdminError,
  updateUser,
  userChangesSchema,
} from "../../../../lib/auth/users.ts";
import { recordAudit } from "../../../../lib/audit/audit_log.ts";
import { requestActor } from "../../../../lib/auth/request_actor.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const id = idParam(ctx.params.id, "User");
    const user = await getUser(ctx.state.services.db, id);
    if (!user) throw new HttpError(404, `User "${id}" not found`);
    return ctx.json(user);
  },
  async PUT(ctx) {
    const id = idParam(ctx.params.id, "User");
    const changes = await parseJsonBody(ctx.req, userChangesSchema, "user");
    const { db } = ctx.state.services;
    let user;
    try {
      user = await updateUser(db, id, changes);
    } catch (error) {
      if (error instanceof LastAdminError) {
        throw new HttpError(409, error.message);
      }
      throw error;
    }
    if (!user) throw new HttpError(404, `User "${id}" not found`);
    const { password, ...visible } = changes;
    await recordAudit(db, {
      actor: requestActor(ctx.state),
      action: changes.active === false ? "user.deactivate" : "user.update",
      target: { type: "user", id, name: user.email },
      ip: ctx.state.ip,
      detail: { ...visible, passwordChanged: password !== undefined },
    });
    return ctx.json(user);
  },
});
