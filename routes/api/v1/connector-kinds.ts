// GET: every connector kind with its config's JSON Schema (secret fields
// flagged), the same source the generated connector form reads.

import { define } from "../../../lib/state.ts";
import { describeConnectorKinds } from "../../../lib/connector/connector_actions.ts";

export const handler = define.handlers({
  GET(ctx) {
    return ctx.json(describeConnectorKinds());
  },
});
