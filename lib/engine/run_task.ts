// Runs one TaskRun for a claimed job, then records the outcome, finishes the
// job and enqueues the successors — in one transaction, so a crash between
// them cannot lose or duplicate work.

import { formatDuration, parseDuration } from "../pipeline/duration.ts";
import type { Queryable } from "../db/db.ts";
import { dropDataset, type StagedDataset } from "../dataset/dataset_store.ts";
import type { StepDefinition } from "../pipeline/pipeline_schema.ts";
import {
  cancelJob,
  completeJob,
  failJob,
  type Job,
  retryDelayMs,
  retryJob,
} from "../queue/job.ts";
import { JobCancelledError, type JobHandler } from "../queue/worker.ts";
import type { EngineDeps } from "./engine_deps.ts";
import { announceRun } from "./run_events.ts";
import { admitWaitingRuns, enqueueTask } from "./start_run.ts";
import { runExtractStep } from "./steps/extract_step.ts";
import { runLoadStep } from "./steps/load_step.ts";
import { runTransformStep } from "./steps/transform_step.ts";
import { runSqlStep } from "./steps/sql_step.ts";
import { runHttpStep } from "./steps/http_step.ts";
import type { StepContext, StepResult } from "./steps/step_context.ts";
import { appendTaskLog } from "./task_log.ts";
import { advanceCursors } from "./extract_cursor.ts";

const TERMINAL = ["SUCCESS", "FAILURE", "SKIPPED", "CANCELLED"];
// Live row counts are written at most this often.
const PROGRESS_MS = 500;
/** The error of a TaskRun stopped by a cancel while it ran. */
const KILLED = "killed: cancelled";

interface TaskRow {
  id: number;
  pipeline_run_id: number;
  pipeline_id: number;
  step_key: string;
  /** The id a load records in its target's load marker (idempotent loads). */
  load_key: string;
  status: string;
  run_status: string;
  cancel_requested: boolean;
  definition: { steps: StepDefinition[] };
}

/** The job handler of the `task` queue. */
export function taskJobHandler(deps: EngineDeps): JobHandler {
  return async (job, signal) => {
    const taskRunId = Number(job.payload.taskRunId);
    const task = await beginTask(deps, job, taskRunId);
    if (!task) return;
    const ref = { id: task.id, runId: task.pipeline_run_id };
    if (task.cancel_requested || task.run_status === "CANCELLED") {
      // Asked to stop before it began (a re-delivered or retried job).
      await finishTask(deps, job, ref, task.step_key, { cancelled: KILLED });
      return;
    }
    const step = task.definition.steps.find((s) => s.id === task.step_key)!;
    const fused = step.type === "extract"
      ? await claimStreamedLoad(deps, task, step.id)
      : undefined;
    // A step's timeout aborts the attempt like a cancel would, but the
    // attempt fails (and is retried if it may be) instead of being cancelled.
    const limit = attemptTimeout(step, fused?.step);
    const timer = new AbortController();
    const timeout = limit === null
      ? undefined
      : setTimeout(() => timer.abort(new StepTimeoutError(limit)), limit);
    const stepSignal = AbortSignal.any([signal, timer.signal]);
    try {
      const ctx = await stepContext(deps, task, step, stepSignal);
      if (!fused) {
        const result = await runStep(ctx);
        await finishTask(deps, job, ref, step.id, { ok: true, result });
        return;
      }
      const loadCtx = await stepContext(
        deps,
        fused.task,
        fused.step,
        stepSignal,
      );
      const result = await runExtractStep(
        ctx,
        (batches) => runLoadStep(loadCtx, batches),
      );
      const loadRef = { id: fused.task.id, runId: ref.runId };
      if (result.streamed?.ok) {
        // The load first: if this process dies between the two, the
        // extract's job is re-delivered and finds its load done. The other
        // order would leave the load RUNNING with no job to finish it.
        await finishTask(deps, null, loadRef, fused.step.id, {
          ok: true,
          result: result.streamed.result,
        });
        await finishTask(deps, job, ref, step.id, { ok: true, result });
        return;
      }
      // The load failed on its own: it runs again, with its retry budget,
      // from the staged dataset, as an unstreamed load would.
      const reason = deps.redact(errorMessage(result.streamed?.error));
      await appendTaskLog(
        deps.db,
        loadRef,
        "warn",
        `streamed load failed: ${reason}; running it from the staged dataset`,
      );
      await releaseStreamedLoad(deps, fused.task.id);
      await finishTask(deps, job, ref, step.id, { ok: true, result });
    } catch (error) {
      if (signal.aborted && signal.reason instanceof JobCancelledError) {
        await appendTaskLog(deps.db, ref, "warn", KILLED).catch(() => {});
        if (fused) {
          const loadRef = { id: fused.task.id, runId: ref.runId };
          await finishTask(deps, null, loadRef, fused.step.id, {
            cancelled: KILLED,
          });
        }
        await finishTask(deps, job, ref, step.id, { cancelled: KILLED });
        return;
      }
      if (fused) await releaseStreamedLoad(deps, fused.task.id);
      const message = timer.signal.aborted
        ? (timer.signal.reason as StepTimeoutError).message
        : deps.redact(errorMessage(error));
      await appendTaskLog(deps.db, ref, "error", message).catch(() => {});
      if (job.attempts < job.max_attempts) {
        const delay = retryDelayMs(job.attempts);
        await deps.db.transaction(async (tx) => {
          await tx.query(
            "update task_run set status = 'PENDING', error = $2 where id = $1",
            [task.id, `attempt ${job.attempts} failed: ${message}`],
          );
          await retryJob(tx, job.id, message, delay);
          await announceRun(tx, ref.runId);
        });
        await appendTaskLog(
          deps.db,
          ref,
          "warn",
          `retrying in ${delay / 1000} s`,
        );
        return;
      }
      await finishTask(deps, job, ref, step.id, { ok: false, error: message });
    } finally {
      clearTimeout(timeout);
    }
  };
}

/** Why an attempt was stopped by its step's `timeout`. */
export class StepTimeoutError extends Error {
  constructor(readonly limitMs: number) {
    super(`timed out after ${formatDuration(limitMs)}`);
    this.name = "StepTimeoutError";
  }
}

/** The attempt's time limit in ms (the shorter of a streamed pair's), or null. */
function attemptTimeout(
  step: StepDefinition,
  fusedLoad?: StepDefinition,
): number | null {
  const limits = [step, fusedLoad].flatMap((s) =>
    s?.timeout ? [parseDuration(s.timeout)!] : []
  );
  return limits.length ? Math.min(...limits) : null;
}

/**
 * Fails the TaskRun of a job the reaper gave up on (its workers kept dying),
 * so the run ends with the reason instead of staying RUNNING forever.
 */
export async function abandonTask(
  deps: EngineDeps,
  job: Pick<Job, "id" | "payload">,
  reason: string,
): Promise<void> {
  const [task] = await deps.db.query<
    {
      id: number;
      pipeline_run_id: number;
      step_key: string;
      status: string;
      cancel_requested: boolean;
    }
  >(
    `select id, pipeline_run_id, step_key, status,
       cancel_requested_at is not null as cancel_requested
     from task_run where id = $1`,
    [Number(job.payload.taskRunId)],
  );
  if (!task || TERMINAL.includes(task.status)) {
    await failJob(deps.db, job.id, reason);
    return;
  }
  // A load streamed from this extract by a worker that died is RUNNING with
  // no job of its own: back to PENDING, so it ends SKIPPED with the rest.
  await deps.db.query(
    `update task_run set status = 'PENDING', started_at = null
     where pipeline_run_id = $1 and status = 'RUNNING' and $2 = any(needs)`,
    [task.pipeline_run_id, task.step_key],
  );
  await finishTask(
    deps,
    job,
    { id: task.id, runId: task.pipeline_run_id },
    task.step_key,
    task.cancel_requested
      ? { cancelled: KILLED }
      : { ok: false, error: reason },
  );
}

/**
 * When an extract feeds exactly one load and nothing else, the load runs
 * alongside it on the same worker, fed batch by batch, so reading and
 * writing overlap instead of following each other. Marks that load RUNNING.
 */
async function claimStreamedLoad(
  deps: EngineDeps,
  task: TaskRow,
  stepKey: string,
): Promise<{ task: TaskRow; step: StepDefinition } | undefined> {
  // Embedded PGlite is one session in this thread: a load's open transaction
  // would block the extract's own queries, and there is no second core to gain.
  if (deps.db.backend === "pglite") return undefined;
  const consumers = task.definition.steps.filter((s) =>
    s.needs.includes(stepKey)
  );
  const [load] = consumers;
  if (
    consumers.length !== 1 || load.type !== "load" || load.needs.length !== 1
  ) {
    return undefined;
  }
  const [row] = await deps.db.query<{ id: number; load_key: string }>(
    `update task_run set status = 'RUNNING', attempt = attempt + 1,
       started_at = now(), finished_at = null, error = null
     where pipeline_run_id = $1 and step_key = $2 and status in ('PENDING', 'RUNNING')
     returning id, load_key::text`,
    [task.pipeline_run_id, load.id],
  );
  if (!row) return undefined;
  return {
    task: { ...task, id: row.id, step_key: load.id, load_key: row.load_key },
    step: load,
  };
}

/** Puts a streamed load back to PENDING, for the normal path to take over. */
async function releaseStreamedLoad(deps: EngineDeps, taskRunId: number) {
  await deps.db.query(
    "update task_run set status = 'PENDING', started_at = null where id = $1 and status = 'RUNNING'",
    [taskRunId],
  );
}

async function beginTask(
  deps: EngineDeps,
  job: Job,
  taskRunId: number,
): Promise<TaskRow | undefined> {
  return await deps.db.transaction(async (tx) => {
    // The run's row first, as finishTask and cancelRun lock it: taking the
    // task's row first would deadlock with a cancel.
    await tx.query(
      `select id from pipeline_run
       where id = (select pipeline_run_id from task_run where id = $1) for update`,
      [taskRunId],
    );
    const [task] = await tx.query<TaskRow>(
      `select t.id, t.pipeline_run_id, r.pipeline_id, t.step_key, t.load_key::text, t.status,
         r.status as run_status,
         t.cancel_requested_at is not null as cancel_requested, v.definition
       from task_run t join pipeline_run r on r.id = t.pipeline_run_id
       join pipeline_version v on v.id = r.pipeline_version_id
       where t.id = $1 for update of t`,
      [taskRunId],
    );
    // A re-delivered job whose TaskRun already ended has nothing left to do.
    if (!task || TERMINAL.includes(task.status)) {
      await completeJob(tx, job.id);
      return undefined;
    }
    if (task.cancel_requested || task.run_status === "CANCELLED") return task;
    await tx.query(
      `update task_run set status = 'RUNNING', attempt = $2, started_at = now(),
         finished_at = null where id = $1`,
      [task.id, job.attempts],
    );
    await tx.query(
      `update pipeline_run set status = 'RUNNING', started_at = coalesce(started_at, now())
       where id = $1 and status = 'PENDING'`,
      [task.pipeline_run_id],
    );
    await announceRun(tx, task.pipeline_run_id);
    return task;
  });
}

async function stepContext(
  deps: EngineDeps,
  task: TaskRow,
  step: StepDefinition,
  signal: AbortSignal,
): Promise<StepContext> {
  const ref = { id: task.id, runId: task.pipeline_run_id };
  const inputs = await deps.db.query<
    {
      uri: string;
      columns: StagedDataset["columns"];
      row_count: number;
      byte_count: number;
    }
  >(
    `select d.uri, d.columns, d.row_count, d.byte_count
     from dataset d join task_run t on t.id = d.task_run_id
     where t.pipeline_run_id = $1 and t.step_key = any($2::text[])
     order by array_position($2::text[], t.step_key)`,
    [task.pipeline_run_id, step.needs],
  );
  let lastProgress = 0;
  return {
    deps,
    step,
    runId: task.pipeline_run_id,
    pipelineId: task.pipeline_id,
    taskRunId: task.id,
    loadKey: task.load_key,
    inputs: inputs.map((d) => ({
      uri: d.uri,
      columns: d.columns,
      rowCount: d.row_count,
      byteCount: d.byte_count,
    })),
    datasetDir: `${runDatasetDir(deps, task.pipeline_run_id)}/${step.id}`,
    signal,
    log: (level, message) =>
      appendTaskLog(deps.db, ref, level, deps.redact(message)),
    progress(counts) {
      const now = Date.now();
      if (now - lastProgress < PROGRESS_MS) return;
      lastProgress = now;
      deps.db.transaction(async (tx) => {
        await tx.query(
          `update task_run set rows_in = coalesce($2, rows_in), rows_out = coalesce($3, rows_out)
           where id = $1 and status = 'RUNNING'`,
          [task.id, counts.rowsIn ?? null, counts.rowsOut ?? null],
        );
        await announceRun(tx, task.pipeline_run_id);
      }).catch(() => {});
    },
  };
}

function runStep(ctx: StepContext): Promise<StepResult> {
  switch (ctx.step.type) {
    case "extract":
      return runExtractStep(ctx);
    case "load":
      return runLoadStep(ctx);
    case "transform":
      return runTransformStep(ctx);
    case "sql":
      return runSqlStep(ctx);
    case "http":
      return runHttpStep(ctx);
  }
}

type Outcome =
  | { ok: true; result: StepResult }
  | { ok: false; error: string }
  | { cancelled: string };

async function finishTask(
  deps: EngineDeps,
  job: Pick<Job, "id"> | null,
  ref: { id: number; runId: number },
  stepKey: string,
  outcome: Outcome,
): Promise<void> {
  const runEnded = await deps.db.transaction(async (tx) => {
    // Serializes the finishing tasks of one run: exactly one of them sees a
    // successor's last need satisfied, or the run's last task done.
    await tx.query("select id from pipeline_run where id = $1 for update", [
      ref.runId,
    ]);
    if ("cancelled" in outcome) {
      await tx.query(
        `update task_run set status = 'CANCELLED', error = $2, finished_at = now()
         where id = $1`,
        [ref.id, outcome.cancelled],
      );
      await endDownstream(tx, ref.runId, stepKey, "CANCELLED", "run cancelled");
      if (job) await cancelJob(tx, job.id, outcome.cancelled);
    } else if (outcome.ok) {
      const { result } = outcome;
      await tx.query(
        `update task_run set status = 'SUCCESS', rows_in = $2, rows_out = $3,
           cursor_value = $4::text::jsonb, error = null, finished_at = now() where id = $1`,
        [
          ref.id,
          result.rowsIn,
          result.rowsOut,
          result.cursorValue == null
            ? null
            : JSON.stringify(result.cursorValue),
        ],
      );
      if (result.dataset) {
        await tx.query(
          `insert into dataset (task_run_id, uri, columns, row_count, byte_count)
           values ($1, $2, $3::text::jsonb, $4, $5)
           on conflict (task_run_id) do update set uri = excluded.uri,
             columns = excluded.columns, row_count = excluded.row_count,
             byte_count = excluded.byte_count`,
          [
            ref.id,
            result.dataset.uri,
            JSON.stringify(result.dataset.columns),
            result.dataset.rowCount,
            result.dataset.byteCount,
          ],
        );
      }
      if (job) await completeJob(tx, job.id);
      await enqueueReadySuccessors(tx, ref.runId, stepKey);
    } else {
      await tx.query(
        `update task_run set status = 'FAILURE', error = $2, finished_at = now() where id = $1`,
        [ref.id, outcome.error],
      );
      await endDownstream(
        tx,
        ref.runId,
        stepKey,
        "SKIPPED",
        "upstream step failed",
      );
      if (job) await failJob(tx, job.id, outcome.error);
    }
    const ended = await finishRunIfDone(tx, ref.runId);
    await announceRun(tx, ref.runId);
    return ended;
  });
  if (runEnded) await dropDataset(runDatasetDir(deps, ref.runId));
}

async function enqueueReadySuccessors(
  tx: Queryable,
  runId: number,
  stepKey: string,
) {
  const ready = await tx.query<{ id: number }>(
    `select t.id from task_run t
     where t.pipeline_run_id = $1 and t.status = 'PENDING' and $2 = any(t.needs)
       and not exists (
         select 1 from task_run u
         where u.pipeline_run_id = $1 and u.step_key = any(t.needs) and u.status <> 'SUCCESS')`,
    [runId, stepKey],
  );
  for (const task of ready) await enqueueTask(tx, task.id);
}

/** Ends the PENDING steps downstream of `stepKey`, which will never run. */
async function endDownstream(
  tx: Queryable,
  runId: number,
  stepKey: string,
  status: "SKIPPED" | "CANCELLED",
  reason: string,
) {
  await tx.query(
    `with recursive downstream(step_key) as (
       select step_key from task_run where pipeline_run_id = $1 and $2 = any(needs)
       union
       select t.step_key from task_run t join downstream d on d.step_key = any(t.needs)
       where t.pipeline_run_id = $1)
     update task_run set status = $3, error = $4, finished_at = now()
     where pipeline_run_id = $1 and status = 'PENDING'
       and step_key in (select step_key from downstream)`,
    [runId, stepKey, status, reason],
  );
}

/** Ends the run when no TaskRun is left to run; returns whether it ended. */
async function finishRunIfDone(tx: Queryable, runId: number): Promise<boolean> {
  const [state] = await tx.query<
    {
      open: number;
      failed: string | null;
      run_status: string;
      pipeline_id: number;
    }
  >(
    `select count(*) filter (where t.status in ('PENDING', 'RUNNING'))::int as open,
       min(t.step_key) filter (where t.status = 'FAILURE') as failed,
       r.status as run_status, r.pipeline_id
     from pipeline_run r left join task_run t on t.pipeline_run_id = r.id
     where r.id = $1 group by r.id`,
    [runId],
  );
  if (state.open > 0) return false;
  // A cancelled run already ended: its status stays, its cursors don't move.
  if (state.run_status === "CANCELLED") return true;
  if (!state.failed) await advanceCursors(tx, runId);
  await tx.query(
    `update pipeline_run set status = $2, error = $3, finished_at = now(),
       started_at = coalesce(started_at, now())
     where id = $1 and status in ('PENDING', 'RUNNING')`,
    [
      runId,
      state.failed ? "FAILURE" : "SUCCESS",
      state.failed ? `step "${state.failed}" failed` : null,
    ],
  );
  // Its slot is free: the pipeline's oldest waiting run starts.
  await admitWaitingRuns(tx, Number(state.pipeline_id));
  return true;
}

/**
 * Where run `runId` stages its datasets: a directory under the data
 * directory, or `<datasetRoot>/run-<id>` in the configured dataset store.
 */
export function runDatasetDir(
  deps: Pick<EngineDeps, "dataDir" | "datasetRoot">,
  runId: number,
): string {
  return `${deps.datasetRoot ?? `${deps.dataDir}/datasets`}/run-${runId}`;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
