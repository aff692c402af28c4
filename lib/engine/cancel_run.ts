// Cancelling a PipelineRun: the run and its waiting TaskRuns end at once;
// each running TaskRun is asked to stop, and the worker running it — in this
// process or another — aborts it and records it CANCELLED (run_task.ts).

import type { Db, Queryable } from "../db/db.ts";
import { dropDataset } from "../dataset/dataset_store.ts";
import { cancelQueuedJobs, type Job } from "../queue/job.ts";
import type { JobCancels } from "../queue/worker.ts";
import { announceRun } from "./run_events.ts";
import { admitWaitingRuns, TASK_QUEUE } from "./start_run.ts";
import { runDatasetDir } from "./run_task.ts";

/** The NOTIFY channel carrying the ids of TaskRuns asked to stop. */
export const CANCEL_CHANNEL = "etl_cancel";

const TERMINAL = ["SUCCESS", "FAILURE", "CANCELLED"];

/** Options for {@linkcode cancelRun}. */
export interface CancelRunOptions {
  /** Who cancels it (an email, "cli"…), recorded in the run's error. */
  by: string;
  /** The data directory, to drop the run's staged datasets when it has ended. */
  dataDir?: string;
  /** The dataset store's root when datasets are not under `dataDir`. */
  datasetRoot?: string;
}

/** What {@linkcode cancelRun} did. */
export interface CancelRunResult {
  /** False when the run had already ended: nothing was changed. */
  cancelled: boolean;
  /** The run's status now (or the one it ended with). */
  status: string;
  /** TaskRuns that were RUNNING and are being stopped. */
  stopping: number[];
}

/**
 * Cancels run `runId`, in one transaction holding the run's row: the run
 * becomes CANCELLED, its PENDING TaskRuns too (their queued jobs are
 * cancelled, so no worker starts them), and each RUNNING TaskRun is asked to
 * stop (`cancel_requested_at`, and NOTIFY on {@linkcode CANCEL_CHANNEL}).
 * Returns undefined when there is no such run.
 */
export async function cancelRun(
  db: Db,
  runId: number,
  options: CancelRunOptions,
): Promise<CancelRunResult | undefined> {
  const result = await db.transaction(async (tx) => {
    const [run] = await tx.query<
      { status: string; pipeline_id: number; admitted: boolean }
    >(
      `select status, pipeline_id, waiting is null as admitted
       from pipeline_run where id = $1 for update`,
      [runId],
    );
    if (!run) return undefined;
    if (TERMINAL.includes(run.status)) {
      return { cancelled: false, status: run.status, stopping: [] };
    }
    await tx.query(
      `update pipeline_run set status = 'CANCELLED', error = $2, finished_at = now()
       where id = $1`,
      [runId, `cancelled by ${options.by}`],
    );
    const waiting = await tx.query<{ id: number }>(
      `update task_run set status = 'CANCELLED', error = 'cancelled before it started',
         finished_at = now()
       where pipeline_run_id = $1 and status = 'PENDING' returning id`,
      [runId],
    );
    await cancelQueuedJobs(
      tx,
      TASK_QUEUE,
      "taskRunId",
      waiting.map((t) => t.id),
      "run cancelled",
    );
    // A task that began meanwhile is RUNNING now (this statement re-reads it).
    const running = await tx.query<{ id: number }>(
      `update task_run set cancel_requested_at = now()
       where pipeline_run_id = $1 and status = 'RUNNING' returning id`,
      [runId],
    );
    for (const task of running) {
      await tx.query("select pg_notify($1, $2)", [
        CANCEL_CHANNEL,
        String(task.id),
      ]);
    }
    // Its slot is free: the pipeline's oldest waiting run starts. (A run
    // still waiting held no slot, and must not lock the pipeline after its
    // own row: see admitWaitingRuns.)
    if (run.admitted) await admitWaitingRuns(tx, Number(run.pipeline_id));
    await announceRun(tx, runId);
    return {
      cancelled: true,
      status: "CANCELLED",
      stopping: running.map((t) => t.id),
    };
  });
  // With nothing running, no finishing task will clean up after the run.
  if (result?.cancelled && result.stopping.length === 0 && options.dataDir) {
    await dropDataset(runDatasetDir(
      { dataDir: options.dataDir, datasetRoot: options.datasetRoot },
      runId,
    ));
  }
  return result;
}

/** Tells a worker which of its running task jobs were asked to stop. */
export function taskCancels(db: Queryable): JobCancels {
  return {
    channel: CANCEL_CHANNEL,
    async find(jobs: Job[]) {
      const byTask = new Map(
        jobs.map((job) => [Number(job.payload.taskRunId), job.id]),
      );
      const rows = await db.query<{ id: number }>(
        `select id from task_run
         where id = any($1::bigint[]) and cancel_requested_at is not null`,
        [[...byTask.keys()]],
      );
      return rows.map((row) => byTask.get(row.id)!);
    },
  };
}
