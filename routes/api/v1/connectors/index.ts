import { z } from "zod";
import { define } from "../../../../lib/state.ts";
import {
  ConnectorConfigError,
  createConnector,
  listConnectors,
} from "../../../../lib/connector/connector_store.ts";
import { parseJsonBody, ProblemError } from "../../../../lib/api/problem.ts";

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
      if (error instanceof ConnectorConfigError) {
        throw new ProblemError(
          422,
          error.message,
          error.issues.map((i) => ({
            field: i.path.join("."),
            message: i.message,
          })),
        );
      }
      throw error;
    }
  },
});
