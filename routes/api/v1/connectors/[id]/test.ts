// POST: test the connection within the time bound. A failing connection is
// an answer, not an API error: 200 `{ ok: false, error: { kind, message } }`.

import { define } from "../../../../../lib/state.ts";
import {
  connectorHttpError,
  testConnector,
} from "../../../../../lib/connector/connector_actions.ts";
import { idParam } from "../../../../../lib/api/problem.ts";

export const handler = define.handlers({
  async POST(ctx) {
    const id = idParam(ctx.params.id, "Connector");
    try {
      return ctx.json(await testConnector(ctx.state.services, id));
    } catch (error) {
      throw connectorHttpError(error);
    }
  },
});
