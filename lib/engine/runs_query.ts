// The filters of `GET /api/v1/runs`, for the route and the OpenAPI document.

import { z } from "zod";

/** The query string of `GET /api/v1/runs`. */
export const runsQuerySchema = z.strictObject({
  pipeline_id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER)
    .optional().describe("Only this pipeline's runs"),
  limit: z.coerce.number().int().min(1).max(500).optional().describe(
    "At most this many, newest first (default 50)",
  ),
});
