// What a run's templates read: its id, pipeline, scheduled date and time, and
// its parameters (as started, checked again and with defaults filled in).

import type { Queryable } from "../db/db.ts";
import { type ParamDeclaration, resolveRunParams } from "../pipeline/params.ts";
import type { TemplateContext } from "../pipeline/template.ts";

/** `YYYY-MM-DD` of an instant, in UTC. */
export function utcDate(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/** `YYYY-MM-DD` of an instant, in time zone `zone`. */
export function zonedDate(instant: Date, zone: string): string {
  // en-CA writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: zone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(instant);
}

/**
 * The template context of run `runId`. The scheduled time is the run's
 * `scheduled_for` (the schedule's occurrence), or when it was created for a
 * run started by hand; `{{ run.scheduled_date }}` is its date in the
 * schedule's time zone for a scheduled run (a "0 1 * * *" Europe/Paris run
 * is for that Paris day), in UTC otherwise.
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
    zone: string | null;
  }>(
    `select r.params, coalesce(r.scheduled_for, r.created_at) as scheduled,
       p.name as pipeline, v.definition -> 'params' as declared,
       case when r.scheduled_for is not null
         then v.definition -> 'schedule' ->> 'timezone' end as zone
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
  const scheduledDate = row.zone
    ? zonedDate(scheduled, row.zone)
    : utcDate(scheduled);
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
