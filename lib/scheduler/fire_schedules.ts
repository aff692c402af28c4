// One scheduler tick: every schedule with occurrences due gets its runs,
// keyed by (pipeline, scheduled_for), so any number of scheduler processes
// on one database fire each occurrence exactly once.

import type { Db, Queryable } from "../db/db.ts";
import { insertPipelineRun } from "../engine/start_run.ts";
import { recordAudit } from "../audit/audit_log.ts";
import { log } from "../log/logger.ts";
import { dueOccurrences } from "./due_occurrences.ts";
import type { ScheduleRow } from "./schedule_store.ts";

/** A run a tick started. */
export interface FiredRun {
  pipelineId: number;
  scheduledFor: Date;
  runId: number;
}

/**
 * Fires the schedules due at `now` (the clock is injected so tests can
 * travel in time); returns the runs started. A schedule that fails is
 * logged and the others still fire.
 */
export async function fireDueSchedules(db: Db, now: Date): Promise<FiredRun[]> {
  const schedules = await db.query<ScheduleRow>(
    `select pipeline_id, cron, timezone, catchup, catchup_limit, evaluated_until
     from schedule where evaluated_until < $1 order by pipeline_id`,
    [now],
  );
  const fired: FiredRun[] = [];
  for (const row of schedules) {
    const pipelineId = Number(row.pipeline_id);
    try {
      // Read without a lock first: most ticks find nothing due, and then
      // cost no transaction (evaluated_until may stay behind: nothing lies
      // between it and the next occurrence, so no policy reads it otherwise).
      if (dueOccurrences(scheduleState(row), now).length === 0) continue;
      fired.push(
        ...await db.transaction((tx) => fireSchedule(tx, pipelineId, now)),
      );
    } catch (error) {
      log.warn("Cannot fire schedule", { pipeline_id: pipelineId, error });
    }
  }
  return fired;
}

function scheduleState(row: ScheduleRow): ScheduleRow {
  return { ...row, evaluated_until: new Date(row.evaluated_until) };
}

async function fireSchedule(
  tx: Queryable,
  pipelineId: number,
  now: Date,
): Promise<FiredRun[]> {
  // The pipeline's row first, as savePipeline and run starts take it: a
  // second scheduler waits here, then sees how far this one got.
  const [pipeline] = await tx.query<{ name: string }>(
    "select name from pipeline where id = $1 for no key update",
    [pipelineId],
  );
  if (!pipeline) return [];
  const [row] = await tx.query<ScheduleRow>(
    `select pipeline_id, cron, timezone, catchup, catchup_limit, evaluated_until
     from schedule where pipeline_id = $1 and evaluated_until < $2 for update`,
    [pipelineId, now],
  );
  if (!row) return [];
  const fired: FiredRun[] = [];
  // Again under the lock: another scheduler may have fired them meanwhile.
  const occurrences = dueOccurrences(scheduleState(row), now);
  for (const scheduledFor of occurrences) {
    const runId = await insertPipelineRun(tx, pipelineId, {
      trigger: "schedule",
      scheduledFor,
    });
    if (runId === undefined) continue; // fired already
    fired.push({ pipelineId, scheduledFor, runId });
    await recordAudit(tx, {
      actor: { id: null, label: "scheduler" },
      action: "schedule.fire",
      target: { type: "pipeline", id: pipelineId, name: pipeline.name },
      detail: { runId, scheduledFor: scheduledFor.toISOString() },
    });
  }
  await tx.query(
    `update schedule set evaluated_until = greatest(evaluated_until, $2)
     where pipeline_id = $1`,
    [pipelineId, now],
  );
  if (fired.length > 0) {
    log.info("schedule fired", {
      pipeline: pipeline.name,
      runs: fired.map((run) => run.runId),
    });
  }
  return fired;
}
