// extract: a connector reads, and its record batches are staged as the
// step's dataset for the steps that need it. With a cursor, only records past
// the last successful run's largest value are read.

import { stageDataset } from "../../dataset/dataset_store.ts";
import {
  connectorUse,
  type StepContext,
  type StepResult,
} from "./step_context.ts";
import type { StepDefinition } from "../../pipeline/pipeline_schema.ts";
import { loadCursor, trackCursor } from "../extract_cursor.ts";
import { teeBatches } from "../tee_batches.ts";
import type { RecordBatch } from "../../../connectors/types.ts";

type ExtractStep = Extract<StepDefinition, { type: "extract" }>;

/** What a streamed load made of the extract's batches. */
export type StreamedOutcome =
  | { ok: true; result: StepResult }
  | { ok: false; error: unknown };

/** An extract's result, with the outcome of the load it fed, if any. */
export interface ExtractResult extends StepResult {
  streamed?: StreamedOutcome;
}

/**
 * Runs an extract step. With `streamTo`, the batches also feed that consumer
 * (a load step) while they are staged, so reading and loading overlap.
 */
export async function runExtractStep(
  ctx: StepContext,
  streamTo?: (batches: AsyncIterable<RecordBatch>) => Promise<StepResult>,
): Promise<ExtractResult> {
  const step = ctx.step as ExtractStep;
  const connector = await ctx.deps.openConnector(
    step.connector,
    step.config,
    connectorUse(ctx),
  );
  try {
    const after = step.cursor
      ? await loadCursor(ctx.deps.db, ctx.pipelineId, step.id)
      : null;
    const where = step.cursor
      ? ` where ${step.cursor.field} > ${JSON.stringify(after)}`
      : "";
    await ctx.log("info", `reading from connector "${step.connector}"${where}`);
    const read = connector.read({
      ...step.config,
      cursor: step.cursor ? { field: step.cursor.field, after } : undefined,
      signal: ctx.signal,
    });
    const tracked = step.cursor
      ? trackCursor(read, step.cursor.field)
      : undefined;
    const source = tracked?.batches ?? read;
    const [toStage, toLoad] = streamTo ? teeBatches(source, 2) : [source];
    const staging = stageDataset(ctx.datasetDir, toStage, {
      signal: ctx.signal,
      onProgress: (rows) => ctx.progress({ rowsOut: rows }),
    });
    const loading = streamTo?.(toLoad);
    const [staged, loaded] = await Promise.allSettled([staging, loading]);
    let streamed: StreamedOutcome | undefined;
    if (streamTo) {
      streamed = loaded.status === "fulfilled"
        ? { ok: true, result: loaded.value! }
        : { ok: false, error: loaded.reason };
    }
    if (staged.status === "rejected") throw staged.reason;
    const dataset = staged.value;
    await ctx.log(
      "info",
      `read ${dataset.rowCount} rows (${dataset.columns.length} columns)`,
    );
    const cursorValue = tracked?.max() ?? null;
    if (step.cursor && cursorValue !== null) {
      await ctx.log(
        "info",
        `cursor ${step.cursor.field} reached ${JSON.stringify(cursorValue)}`,
      );
    }
    return {
      rowsIn: dataset.rowCount,
      rowsOut: dataset.rowCount,
      dataset,
      cursorValue,
      streamed,
    };
  } finally {
    await connector.close();
  }
}
