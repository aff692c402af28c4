// POST `{ table | query | path, limit }`: the first rows (default 20, max 200).

import { define } from "../../../../../lib/state.ts";
import {
  connectorHttpError,
  previewConnector,
  previewRequestSchema,
} from "../../../../../lib/connector/connector_actions.ts";
import { auditConnectorUse } from "../../../../../lib/connector/connector_audit.ts";
import { idParam, parseJsonBody } from "../../../../../lib/api/problem.ts";
import { getConnector } from "../../../../../lib/connector/connector_store.ts";

export const handler = define.handlers({
  async POST(ctx) {
    const id = idParam(ctx.params.id, "Connector");
    const { services } = ctx.state;
    try {
      // 404 for an unknown id comes before complaints about the body.
      await getConnector(services.db, id);
      const request = await parseJsonBody(
        ctx.req,
        previewRequestSchema,
        "preview request",
      );
      await auditConnectorUse(services.db, ctx.state, id, "preview");
      return ctx.json(await previewConnector(services, id, request));
    } catch (error) {
      throw connectorHttpError(error);
    }
  },
});
