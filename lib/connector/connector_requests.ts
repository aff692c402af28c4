// Request bodies of the connector API, shared by the routes and OpenAPI.

import { z } from "zod";

/** Body of `POST /api/v1/connectors`. */
export const newConnectorSchema = z.strictObject({
  name: z.string(),
  kind: z.string().describe("One of GET /api/v1/connector-kinds"),
  config: z.record(z.string(), z.unknown()).default({}).describe(
    "Settings as the kind's JSON Schema describes them",
  ),
});

/**
 * Body of `PUT /api/v1/connectors/{id}`. Unknown keys are dropped, so a
 * client may PUT back what it got from GET (id, builtin, timestamps and
 * `{ set: true }` secrets included).
 */
export const connectorChangesSchema = z.object({
  name: z.string().optional(),
  kind: z.string().optional().describe("Must be the current kind"),
  config: z.record(z.string(), z.unknown()),
});
