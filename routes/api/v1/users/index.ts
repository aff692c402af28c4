// GET lists accounts; POST creates one (admins only, see route_policies.ts).

import { define } from "../../../../lib/state.ts";
import { parseJsonBody, ProblemError } from "../../../../lib/api/problem.ts";
import {
  createUser,
  EmailTakenError,
  listUsers,
  newUserSchema,
} from "../../../../lib/auth/users.ts";
import { recordAudit } from "../../../../lib/audit/audit_log.ts";
import { requestActor } from "../../../../lib/auth/request_actor.ts";

export const handler = define.handlers({
  async GET(ctx) {
    return ctx.json(await listUsers(ctx.state.services.db));
  },
  async POST(ctx) {
    const body = await parseJsonBody(ctx.req, newUserSchema, "user");
    const { db } = ctx.state.services;
    try {
      const user = await db.transaction(async (tx) => {
        const user = await createUser(tx, body);
        await recordAudit(tx, {
          actor: requestActor(ctx.state),
          action: "user.create",
          target: { type: "user", id: user.id, name: user.email },
          ip: ctx.state.ip,
          detail: { role: user.role },
        });
        return user;
      });
      return ctx.json(user, { status: 201 });
    } catch (error) {
      if (error instanceof EmailTakenError) {
        throw new ProblemError(409, error.message, [
          { field: "email", message: "already has an account" },
        ]);
      }
      throw error;
    }
  },
});
