// Re-running a PipelineRun: a new run of the same pipeline, at its current
// version, with the parameter values the old run had.

import type { Db } from "../db/db.ts";
import { ProblemError } from "../api/problem.ts";
import { getPipeline } from "../pipeline/pipeline_store.ts";
import { resolveRunParams } from "../pipeline/params.ts";
import { startPipelineRun } from "./start_run.ts";

/** Options for {@linkcode rerunRun}. */
export interface RerunOptions {
  /** The user who asks for it. */
  createdBy?: number | null;
  trigger?: "manual" | "api";
}

/** The new run and what it was made from. */
export interface RerunResult {
  runId: number;
  pipeline: { id: number; name: string };
  params: Record<string, unknown>;
}

/**
 * Starts a new run like run `runId`, which must have ended (409 otherwise).
 * Its values are checked against the current version's parameters (422 when
 * they no longer fit, e.g. a parameter was removed). Undefined: no such run.
 */
export async function rerunRun(
  db: Db,
  runId: number,
  options: RerunOptions = {},
): Promise<RerunResult | undefined> {
  const [run] = await db.query<
    { pipeline_id: number; status: string; params: Record<string, unknown> }
  >(
    "select pipeline_id, status, params from pipeline_run where id = $1",
    [runId],
  );
  if (!run) return undefined;
  if (run.status === "PENDING" || run.status === "RUNNING") {
    throw new ProblemError(
      409,
      `Cannot re-run run "${runId}": it has not ended (${run.status}); cancel it first`,
    );
  }
  const pipeline = await getPipeline(db, run.pipeline_id);
  if (!pipeline) return undefined;
  const resolved = resolveRunParams(pipeline.definition.params, run.params);
  if (!resolved.ok) {
    const [first] = resolved.errors;
    throw new ProblemError(
      422,
      `Cannot re-run run "${runId}": its values no longer fit pipeline "${pipeline.name}": ${first.field}: ${first.message}`,
      resolved.errors,
    );
  }
  const newRunId = await startPipelineRun(db, pipeline.id, {
    trigger: options.trigger ?? "manual",
    params: resolved.values,
    createdBy: options.createdBy ?? null,
  });
  return {
    runId: newRunId,
    pipeline: { id: pipeline.id, name: pipeline.name },
    params: resolved.values,
  };
}
