// What a running step gets, and what it returns.

import type { StagedDataset } from "../../dataset/dataset_store.ts";
import type { StepDefinition } from "../../pipeline/pipeline_schema.ts";
import type { LogLevel } from "../../log/logger.ts";
import type { ConnectorUse, EngineDeps } from "../engine_deps.ts";

/** The context of one attempt of one TaskRun. */
export interface StepContext {
  deps: EngineDeps;
  step: StepDefinition;
  runId: number;
  pipelineId: number;
  taskRunId: number;
  /** Unique to this TaskRun: a load's id in its target's load marker. */
  loadKey: string;
  /** Datasets of the steps this one needs, in `needs` order. */
  inputs: StagedDataset[];
  /** Where this step stages its output: a directory, or an `s3://` URI. */
  datasetDir: string;
  signal: AbortSignal;
  log(level: LogLevel, message: string): Promise<void>;
  /** Reports row counts while running (throttled by the caller). */
  progress(counts: { rowsIn?: number; rowsOut?: number }): void;
}

/** What a step produced. */
export interface StepResult {
  rowsIn: number;
  rowsOut: number;
  dataset?: StagedDataset;
  /** For incremental extracts: the largest cursor value read. */
  cursorValue?: string | number | null;
}

/** The TaskRun a step opens its connector for, as the audit log records it. */
export function connectorUse(ctx: StepContext): ConnectorUse {
  return { runId: ctx.runId, taskRunId: ctx.taskRunId, step: ctx.step.id };
}
