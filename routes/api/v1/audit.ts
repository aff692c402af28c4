// GET audit events, newest first, filtered by query parameters:
// actor, action (exact, or a prefix ending in "."), target_type, target_id,
// since, until (ISO dates), before (event id, for paging), limit (≤ 1000).

import { define } from "../../../lib/state.ts";
import { validationError } from "../../../lib/api/problem.ts";
import { listAuditEvents } from "../../../lib/audit/audit_log.ts";
import { auditQuerySchema } from "../../../lib/audit/audit_query.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const query = Object.fromEntries(
      [...ctx.url.searchParams].filter(([, value]) => value !== ""),
    );
    const parsed = auditQuerySchema.safeParse(query);
    if (!parsed.success) throw validationError("audit query", parsed.error);
    const q = parsed.data;
    return ctx.json(
      await listAuditEvents(ctx.state.services.db, {
        actor: q.actor,
        action: q.action,
        targetType: q.target_type,
        targetId: q.target_id,
        since: q.since,
        until: q.until,
        before: q.before,
        limit: q.limit,
      }),
    );
  },
});
