// GET: the connector's tables (objects, endpoints) with their columns.

import { define } from "../../../../../lib/state.ts";
import {
  connectorHttpError,
  discoverConnector,
} from "../../../../../lib/connector/connector_actions.ts";
import { auditConnectorUse } from "../../../../../lib/connector/connector_audit.ts";
import { idParam } from "../../../../../lib/api/problem.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const id = idParam(ctx.params.id, "Connector");
    try {
      await auditConnectorUse(ctx.state.services.db, ctx.state, id, "schema");
      const tables = await discoverConnector(ctx.state.services, id);
      return ctx.json({ tables });
    } catch (error) {
      throw connectorHttpError(error);
    }
  },
});
