// Read models of runs for the API, the pages and the live event stream.

import type { Queryable } from "../db/db.ts";

/** Status of a PipelineRun. */
export type RunStatus =
  | "PENDING"
  | "RUNNING"
  | "SUCCESS"
  | "FAILURE"
  | "CANCELLED";
/** Status of a TaskRun. */
export type TaskStatus = RunStatus | "SKIPPED";

/** One TaskRun as shown to users. */
export interface TaskRunView {
  id: number;
  step_key: string;
  step_type: string;
  needs: string[];
  status: TaskStatus;
  attempt: number;
  rows_in: number | null;
  rows_out: number | null;
  error: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
}

/** One PipelineRun with its TaskRuns. */
export interface RunView {
  id: number;
  pipeline_id: number;
  pipeline_name: string;
  version: number;
  status: RunStatus;
  trigger: string;
  error: string | null;
  /** Why a PENDING run has not started (its pipeline's max_concurrent_runs). */
  waiting: string | null;
  /** The schedule occurrence a scheduled run is for. */
  scheduled_for: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
  tasks: TaskRunView[];
}

const iso = (value: unknown) =>
  value ? new Date(value as string).toISOString() : null;

function duration(start: unknown, end: unknown): number | null {
  if (!start) return null;
  const stop = end ? new Date(end as string) : new Date();
  return stop.getTime() - new Date(start as string).getTime();
}

/** A run with its tasks, or undefined. */
export async function getRunView(
  db: Queryable,
  runId: number,
): Promise<RunView | undefined> {
  const [run] = await db.query<Record<string, unknown>>(
    `select r.*, p.name as pipeline_name, v.version
     from pipeline_run r join pipeline p on p.id = r.pipeline_id
     join pipeline_version v on v.id = r.pipeline_version_id
     where r.id = $1`,
    [runId],
  );
  if (!run) return undefined;
  const tasks = await db.query<Record<string, unknown>>(
    `select t.* from task_run t
     join pipeline_run r on r.id = t.pipeline_run_id
     left join pipeline_step s on s.pipeline_version_id = r.pipeline_version_id and s.step_key = t.step_key
     where t.pipeline_run_id = $1 order by s.position, t.id`,
    [runId],
  );
  return {
    ...toRunSummary(run),
    tasks: tasks.map((task) => ({
      id: task.id as number,
      step_key: task.step_key as string,
      step_type: task.step_type as string,
      needs: task.needs as string[],
      status: task.status as TaskStatus,
      attempt: task.attempt as number,
      rows_in: task.rows_in as number | null,
      rows_out: task.rows_out as number | null,
      error: task.error as string | null,
      started_at: iso(task.started_at),
      finished_at: iso(task.finished_at),
      duration_ms: duration(task.started_at, task.finished_at),
    })),
  };
}

function toRunSummary(run: Record<string, unknown>): Omit<RunView, "tasks"> {
  return {
    id: run.id as number,
    pipeline_id: run.pipeline_id as number,
    pipeline_name: run.pipeline_name as string,
    version: run.version as number,
    status: run.status as RunStatus,
    trigger: run.trigger as string,
    error: run.error as string | null,
    waiting: (run.waiting ?? null) as string | null,
    scheduled_for: iso(run.scheduled_for),
    created_at: iso(run.created_at)!,
    started_at: iso(run.started_at),
    finished_at: iso(run.finished_at),
    duration_ms: duration(run.started_at, run.finished_at),
  };
}

/** Options for {@linkcode listRuns}. */
export interface ListRunsOptions {
  pipelineId?: number;
  limit?: number;
}

/** Recent runs, newest first, without their tasks. */
export async function listRuns(
  db: Queryable,
  options: ListRunsOptions = {},
): Promise<Omit<RunView, "tasks">[]> {
  const rows = await db.query<Record<string, unknown>>(
    `select r.*, p.name as pipeline_name, v.version
     from pipeline_run r join pipeline p on p.id = r.pipeline_id
     join pipeline_version v on v.id = r.pipeline_version_id
     where ($1::bigint is null or r.pipeline_id = $1)
     order by r.id desc limit $2`,
    [options.pipelineId ?? null, Math.min(options.limit ?? 50, 500)],
  );
  return rows.map(toRunSummary);
}

/** The log lines of one TaskRun of a run. */
export async function getTaskLogs(
  db: Queryable,
  runId: number,
  taskRunId: number,
): Promise<{ at: string; level: string; message: string }[] | undefined> {
  const [task] = await db.query(
    "select id from task_run where id = $1 and pipeline_run_id = $2",
    [taskRunId, runId],
  );
  if (!task) return undefined;
  const rows = await db.query<{ at: Date; level: string; message: string }>(
    "select at, level, message from task_log where task_run_id = $1 order by id",
    [taskRunId],
  );
  return rows.map((row) => ({ ...row, at: iso(row.at)! }));
}
