// GET lists connectors (secrets as `{ set: true }`); POST creates one.

import { z } from "zod";
import { define } from "../../../../lib/state.ts";
import {
  createConnector,
  listConnectors,
} from "../../../../lib/connector/connector_store.ts";
import { connectorHttpError } from "../../../../lib/connector/connector_actions.ts";
import { parseJsonBody } from "../../../../lib/api/problem.ts";

const newConnectorSchema = z.object({
  name: z.string(),
  kind: z.string(),
  config: z.record(z.string(), z.unknown()).default({}),
}).strict();

export const handler = define.handlers({
  async GET(ctx) {
    return ctx.json(await listConnectors(ctx.state.services.db));
  },
  async POST(ctx) {
    const body = await parseJsonBody(ctx.req, newConnectorSchema, "connector");
    const { db, box } = ctx.state.services;
    try {
      return ctx.json(await createConnector(db, box, body), { status: 201 });
    } catch (error) {
      throw connectorHttpError(error);
    }
  },
});
