// The audit log's filters as a query string, for the API and the admin page.

import { z } from "zod";

/** The query string of `GET /api/v1/audit` (also the page's filter form). */
export const auditQuerySchema = z.strictObject({
  actor: z.string().max(254).optional(),
  action: z.string().max(100).optional(),
  target_type: z.string().max(50).optional(),
  target_id: z.string().max(50).optional(),
  since: z.coerce.date().optional(),
  until: z.coerce.date().optional(),
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
