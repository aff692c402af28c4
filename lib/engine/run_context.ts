// What a run's templates read: its id, pipeline, scheduled date and time, and
// its parameters (as started, checked again and with defaults filled in).

import type { Queryable } from "../db/db.ts";
import { type ParamDeclaration, resolveRunParams } from "../pipeline/params.ts";
import type { TemplateContext } from "../pipeline/template.ts";

/** `YYYY-MM-DD` of an instant, in UTC. */
export function utcDate(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/**
 * The template context of run `runId`. The scheduled time is the run's
 * `scheduled_for`, or when it was created for a run started by hand; a
 * `{{ run.scheduled_date }}` default resolves to its UTC date.
 */
export async function loadRunContext(
  db: Queryable,
  runId: number,
): Promise<TemplateContext> {
  const [row] = await db.query<{
    params: Record<string, unknown> | null;
    scheduled: Date | string;
    pipeline: string;
    declared: Record<string, ParamDeclaration> | null;
  }>(
    `select r.params, coalesce(r.scheduled_for, r.created_at) as scheduled,
       p.name as pipeline, v.definition -> 'params' as declared
     from pipeline_run r
     join pipeline p on p.id = r.pipeline_id
     join pipeline_version v on v.id = r.pipeline_version_id
     where r.id = $1`,
    [runId],
  );
  if (!row) {
    throw new Error(`Cannot render step config: run ${runId} does not exist`);
  }
  const scheduled = new Date(row.scheduled);
  const scheduledDate = utcDate(scheduled);
  const resolved = resolveRunParams(row.declared ?? undefined, row.params, {
    scheduledDate,
  });
  if (!resolved.ok) {
    throw new Error(
      `Cannot run with these parameters: ${
        resolved.errors.map((e) => `${e.field}: ${e.message}`).join("; ")
      }`,
    );
  }
  return {
    params: resolved.values,
    run: {
      id: runId,
      pipeline: row.pipeline,
      scheduled_date: scheduledDate,
      scheduled_time: scheduled.toISOString(),
    },
  };
}

/** Whether any string inside `value` holds a template. */
export function usesTemplates(value: unknown): boolean {
  if (typeof value === "string") return value.includes("{{");
  if (Array.isArray(value)) return value.some(usesTemplates);
  if (typeof value === "object" && value !== null) {
    return Object.values(value).some(usesTemplates);
  }
  return false;
}
