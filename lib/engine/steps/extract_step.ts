// extract: a connector reads, and its record batches are staged as the
// step's dataset for the steps that need it. With a cursor, only records past
// the last successful run's largest value are read.

import { stageDataset } from "../../dataset/dataset_store.ts";
import type { StepContext, StepResult } from "./step_context.ts";
import type { StepDefinition } from "../../pipeline/pipeline_schema.ts";
import { loadCursor, trackCursor } from "../extract_cursor.ts";

type ExtractStep = Extract<StepDefinition, { type: "extract" }>;

/** Runs an extract step. */
export async function runExtractStep(ctx: StepContext): Promise<StepResult> {
  const step = ctx.step as ExtractStep;
  const connector = await ctx.deps.openConnector(step.connector, step.config);
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
    const dataset = await stageDataset(
      ctx.datasetDir,
      tracked?.batches ?? read,
      {
        signal: ctx.signal,
        onProgress: (rows) => ctx.progress({ rowsOut: rows }),
      },
    );
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
    };
  } finally {
    await connector.close();
  }
}
