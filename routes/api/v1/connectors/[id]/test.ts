// POST: test the connection within the time bound. A failing connection is
// an answer, not an API error: 200 `{ ok: false, error: { kind, message } }`.

import { define } from "../../../../../lib/state.ts";
import {
  connectorHttpError,
  testConnector,
} from "../../../../../lib/connector/connector_actions.ts";
import { auditConnectorUse } from "../../../../../lib/connector/connector_audit.ts";
import { idParam } from "../../../../../lib/api/problem.ts";

export const handler = define.handlers({
  async POST(ctx) {
    const id = idParam(ctx.params.id, "Connector");
    try {
      await auditConnectorUse(ctx.state.services.db, ctx.state, id, "test");
      return ctx.json(await testConnector(ctx.state.services, id));
    } catch (error) {
      throw connectorHttpError(error);
    }
  },
});
