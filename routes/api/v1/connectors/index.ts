// GET lists connectors (secrets as `{ set: true }`); POST creates one.

import { recordAudit } from "../../../../lib/audit/audit_log.ts";
import { requestActor } from "../../../../lib/auth/request_actor.ts";
import { newConnectorSchema } from "../../../../lib/connector/connector_requests.ts";
import { define } from "../../../../lib/state.ts";
import {
  createConnector,
  listConnectors,
} from "../../../../lib/connector/connector_store.ts";
import { connectorHttpError } from "../../../../lib/connector/connector_actions.ts";
import { parseJsonBody } from "../../../../lib/api/problem.ts";

export const handler = define.handlers({
  async GET(ctx) {
    return ctx.json(await listConnectors(ctx.state.services.db));
  },
  async POST(ctx) {
    const body = await parseJsonBody(ctx.req, newConnectorSchema, "connector");
    const { db, box } = ctx.state.services;
    try {
      const created = await createConnector(db, box, {
        ...body,
        ownerId: ctx.state.user?.userId,
      });
      await recordAudit(db, {
        actor: requestActor(ctx.state),
        action: "connector.create",
        target: { type: "connector", id: created.id, name: created.name },
        ip: ctx.state.ip,
        detail: { kind: created.kind },
      });
      return ctx.json(created, { status: 201 });
    } catch (error) {
      throw connectorHttpError(error);
    }
  },
});
