// Starting a PipelineRun: one run row, one TaskRun per step, and a job for
// every step that needs nothing — all in one transaction.

import type { Db, Queryable } from "../db/db.ts";
import { enqueueJob } from "../queue/job.ts";
import { announceRun } from "./run_events.ts";

/** The job queue that runs TaskRuns. */
export const TASK_QUEUE = "task";

/** Options for {@linkcode startPipelineRun}. */
export interface StartRunOptions {
  trigger?: "manual" | "schedule" | "api";
  params?: Record<string, unknown>;
  /** The user who started it (null: the scheduler or the platform). */
  createdBy?: number | null;
}

/** Starts a run of the pipeline's current version; returns the run id. */
export async function startPipelineRun(
  db: Db,
  pipelineId: number,
  options: StartRunOptions = {},
): Promise<number> {
  return await db.transaction(async (tx) => {
    const [run] = await tx.query<{ id: number; version_id: number }>(
      `insert into pipeline_run
         (pipeline_id, pipeline_version_id, trigger, params, created_by)
       select p.id, v.id, $2, $3::text::jsonb, $4
       from pipeline p
       join pipeline_version v on v.pipeline_id = p.id and v.version = p.current_version
       where p.id = $1
       returning id, pipeline_version_id as version_id`,
      [
        pipelineId,
        options.trigger ?? "manual",
        JSON.stringify(options.params ?? {}),
        options.createdBy ?? null,
      ],
    );
    if (!run) {
      throw new Error(
        `Cannot start run: pipeline ${pipelineId} does not exist`,
      );
    }
    const tasks = await tx.query<
      { id: number; needs: string[]; retries: number }
    >(
      `insert into task_run (pipeline_run_id, step_key, step_type, needs)
       select $1, step_key, type, needs from pipeline_step
       where pipeline_version_id = $2 order by position
       returning id, needs`,
      [run.id, run.version_id],
    );
    for (const task of tasks) {
      if (task.needs.length === 0) await enqueueTask(tx, task.id);
    }
    await announceRun(tx, run.id);
    return run.id;
  });
}

/** Enqueues the job that runs one TaskRun, with the step's retry budget. */
export async function enqueueTask(
  tx: Queryable,
  taskRunId: number,
): Promise<void> {
  const [step] = await tx.query<{ retries: number }>(
    `select coalesce((v.definition -> 'steps' -> s.position ->> 'retries')::int, 0) as retries
     from task_run t
     join pipeline_run r on r.id = t.pipeline_run_id
     join pipeline_step s on s.pipeline_version_id = r.pipeline_version_id and s.step_key = t.step_key
     join pipeline_version v on v.id = r.pipeline_version_id
     where t.id = $1`,
    [taskRunId],
  );
  await enqueueJob(tx, TASK_QUEUE, { taskRunId }, {
    maxAttempts: (step?.retries ?? 0) + 1,
  });
}
