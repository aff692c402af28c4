// One connector: GET its public view, PUT new settings (an omitted or empty
// secret keeps the stored one, null clears it), DELETE it. Built-ins: 409.

import { recordAudit } from "../../../../../lib/audit/audit_log.ts";
import { requestActor } from "../../../../../lib/auth/request_actor.ts";
import { changedSecrets } from "../../../../../lib/connector/connector_audit.ts";
import { connectorChangesSchema } from "../../../../../lib/connector/connector_requests.ts";
import { define } from "../../../../../lib/state.ts";
import {
  deleteConnector,
  getConnector,
  updateConnector,
} from "../../../../../lib/connector/connector_store.ts";
import {
  connectorHttpError,
  editableConnector,
} from "../../../../../lib/connector/connector_actions.ts";
import {
  idParam,
  parseJsonBody,
  ProblemError,
} from "../../../../../lib/api/problem.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const id = idParam(ctx.params.id, "Connector");
    try {
      return ctx.json(await getConnector(ctx.state.services.db, id));
    } catch (error) {
      throw connectorHttpError(error);
    }
  },
  async PUT(ctx) {
    const id = idParam(ctx.params.id, "Connector");
    const { db, box } = ctx.state.services;
    try {
      const current = await editableConnector(db, id, "update");
      const body = await parseJsonBody(
        ctx.req,
        connectorChangesSchema,
        "connector",
      );
      if (body.kind !== undefined && body.kind !== current.kind) {
        const message =
          `Cannot change the kind of a connector (it is "${current.kind}")`;
        throw new ProblemError(422, message, [{ field: "kind", message }]);
      }
      const updated = await updateConnector(db, box, id, {
        name: body.name,
        config: body.config,
      });
      await recordAudit(db, {
        actor: requestActor(ctx.state),
        action: "connector.update",
        target: { type: "connector", id, name: updated.name },
        ip: ctx.state.ip,
        detail: { secretsChanged: changedSecrets(body.config) },
      });
      return ctx.json(updated);
    } catch (error) {
      throw connectorHttpError(error);
    }
  },
  async DELETE(ctx) {
    const id = idParam(ctx.params.id, "Connector");
    const { db } = ctx.state.services;
    try {
      await editableConnector(db, id, "delete");
      const gone = await getConnector(db, id);
      await deleteConnector(db, id);
      await recordAudit(db, {
        actor: requestActor(ctx.state),
        action: "connector.delete",
        target: { type: "connector", id, name: gone.name },
        ip: ctx.state.ip,
      });
      return new Response(null, { status: 204 });
    } catch (error) {
      throw connectorHttpError(error);
    }
  },
});
