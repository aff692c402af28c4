// A pipeline's schedule as the scheduler reads it: one `schedule` row per
// scheduled pipeline, kept in step with the pipeline's current version.

import type { Queryable } from "../db/db.ts";
import type { ScheduleDefinition } from "../pipeline/pipeline_schema.ts";

/** A stored schedule with how far the scheduler has looked. */
export interface ScheduleRow {
  pipeline_id: number;
  cron: string;
  timezone: string;
  catchup: "none" | "latest" | "all";
  catchup_limit: number | null;
  evaluated_until: Date;
}

/**
 * Records the schedule of pipeline `pipelineId`'s current version, or
 * removes it (the pipeline stops firing). A new or changed cron expression
 * or time zone starts counting from now: what it would have fired before
 * it existed is not "missed".
 */
export async function syncSchedule(
  tx: Queryable,
  pipelineId: number,
  schedule: ScheduleDefinition | undefined,
): Promise<void> {
  if (!schedule) {
    await tx.query("delete from schedule where pipeline_id = $1", [pipelineId]);
    return;
  }
  await tx.query(
    `insert into schedule (pipeline_id, cron, timezone, catchup, catchup_limit)
     values ($1, $2, $3, $4, $5)
     on conflict (pipeline_id) do update set
       cron = excluded.cron, timezone = excluded.timezone,
       catchup = excluded.catchup, catchup_limit = excluded.catchup_limit,
       updated_at = now(),
       evaluated_until = case
         when schedule.cron = excluded.cron and schedule.timezone = excluded.timezone
         then schedule.evaluated_until else now() end`,
    [
      pipelineId,
      schedule.cron,
      schedule.timezone,
      schedule.catchup,
      schedule.catchup_limit ?? null,
    ],
  );
}

/** The schedule of a pipeline, or undefined when it has none. */
export async function getSchedule(
  db: Queryable,
  pipelineId: number,
): Promise<ScheduleRow | undefined> {
  const [row] = await db.query<ScheduleRow>(
    `select pipeline_id, cron, timezone, catchup, catchup_limit, evaluated_until
     from schedule where pipeline_id = $1`,
    [pipelineId],
  );
  return row && { ...row, evaluated_until: new Date(row.evaluated_until) };
}
