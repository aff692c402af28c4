// Starting a PipelineRun: one run row, one TaskRun per step, and a job for
// every step that needs nothing — all in one transaction. A pipeline with
// max_concurrent_runs holds the run back (PENDING, no job) while it is full.

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
  /**
   * The schedule occurrence this run is for: `{{ run.scheduled_date }}` and
   * `{{ run.scheduled_time }}` read it, and a pipeline has at most one run
   * per occurrence.
   */
  scheduledFor?: Date;
}

/**
 * Starts a run of the pipeline's current version; returns the run id (for
 * an occurrence that already has its run: that run's id).
 */
export async function startPipelineRun(
  db: Db,
  pipelineId: number,
  options: StartRunOptions = {},
): Promise<number> {
  return await db.transaction(async (tx) => {
    const runId = await insertPipelineRun(tx, pipelineId, options);
    if (runId !== undefined) return runId;
    const [run] = await tx.query<{ id: number }>(
      "select id from pipeline_run where pipeline_id = $1 and scheduled_for = $2",
      [pipelineId, options.scheduledFor],
    );
    return run.id;
  });
}

/**
 * {@linkcode startPipelineRun} inside transaction `tx`; returns undefined,
 * changing nothing, when `options.scheduledFor` already has its run.
 */
export async function insertPipelineRun(
  tx: Queryable,
  pipelineId: number,
  options: StartRunOptions = {},
): Promise<number | undefined> {
  // The pipeline's row serializes starts and ends of its runs, so the count
  // of running ones is exact (see admitWaitingRuns).
  const [pipeline] = await tx.query<{ max_concurrent_runs: number | null }>(
    "select max_concurrent_runs from pipeline where id = $1 for no key update",
    [pipelineId],
  );
  if (!pipeline) {
    throw new Error(`Cannot start run: pipeline ${pipelineId} does not exist`);
  }
  const limit = pipeline.max_concurrent_runs;
  let waiting: string | null = null;
  if (limit !== null) {
    const [{ active }] = await tx.query<{ active: number }>(
      `select count(*)::int as active from pipeline_run
       where pipeline_id = $1 and status in ('PENDING', 'RUNNING') and waiting is null`,
      [pipelineId],
    );
    waiting = `waiting: ${active} ${
      active === 1 ? "run" : "runs"
    } of this pipeline ${active === 1 ? "is" : "are"} running`;
  }
  const [run] = await tx.query<{ id: number; version_id: number }>(
    `insert into pipeline_run
       (pipeline_id, pipeline_version_id, trigger, params, created_by,
        scheduled_for, waiting)
     select p.id, v.id, $2, $3::text::jsonb, $4, $5, $6
     from pipeline p
     join pipeline_version v on v.pipeline_id = p.id and v.version = p.current_version
     where p.id = $1
     on conflict (pipeline_id, scheduled_for) do nothing
     returning id, pipeline_version_id as version_id`,
    [
      pipelineId,
      options.trigger ?? "manual",
      JSON.stringify(options.params ?? {}),
      options.createdBy ?? null,
      options.scheduledFor ?? null,
      waiting,
    ],
  );
  if (!run) return undefined;
  await tx.query(
    `insert into task_run (pipeline_run_id, step_key, step_type, needs)
     select $1, step_key, type, needs from pipeline_step
     where pipeline_version_id = $2 order by position`,
    [run.id, run.version_id],
  );
  // A limited pipeline admits its runs oldest first: this one waits its turn.
  if (limit === null) await enqueueRootTasks(tx, run.id);
  else await admitWaitingRuns(tx, pipelineId);
  await announceRun(tx, run.id);
  return run.id;
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

/**
 * Admits the oldest waiting runs of pipeline `pipelineId` while it has fewer
 * than `max_concurrent_runs` going (all of them when it has no limit now):
 * their root tasks are enqueued. Call inside the transaction that started or
 * ended a run. Returns the admitted runs' ids.
 *
 * Locks the pipeline's row, then the waiting runs' rows. Callers that hold a
 * run's row hold an admitted run's (never a waiting one's), so the order is
 * always admitted run → pipeline → waiting run: no deadlock.
 */
export async function admitWaitingRuns(
  tx: Queryable,
  pipelineId: number,
): Promise<number[]> {
  const [pipeline] = await tx.query<{ max_concurrent_runs: number | null }>(
    "select max_concurrent_runs from pipeline where id = $1 for no key update",
    [pipelineId],
  );
  if (!pipeline) return [];
  const limit = pipeline.max_concurrent_runs;
  let room: number | null = null;
  if (limit !== null) {
    // A statement of its own, after the lock: it sees every run that started
    // or ended before this transaction got the pipeline's row.
    const [{ active }] = await tx.query<{ active: number }>(
      `select count(*)::int as active from pipeline_run
       where pipeline_id = $1 and status in ('PENDING', 'RUNNING') and waiting is null`,
      [pipelineId],
    );
    room = limit - active;
    if (room <= 0) return [];
  }
  const runs = await tx.query<{ id: number }>(
    `select id from pipeline_run
     where pipeline_id = $1 and waiting is not null and status = 'PENDING'
     order by id limit $2::int for update`,
    [pipelineId, room],
  );
  for (const run of runs) {
    await tx.query("update pipeline_run set waiting = null where id = $1", [
      run.id,
    ]);
    await enqueueRootTasks(tx, run.id);
    await announceRun(tx, run.id);
  }
  return runs.map((run) => run.id);
}

/** Enqueues the TaskRuns of run `runId` that need no other step. */
export async function enqueueRootTasks(
  tx: Queryable,
  runId: number,
): Promise<void> {
  const roots = await tx.query<{ id: number }>(
    `select id from task_run
     where pipeline_run_id = $1 and cardinality(needs) = 0 and status = 'PENDING'
     order by id`,
    [runId],
  );
  for (const task of roots) await enqueueTask(tx, task.id);
}
