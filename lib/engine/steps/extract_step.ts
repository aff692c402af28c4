// extract: a connector reads, and its record batches are staged as the
// step's dataset for the steps that need it.

import { stageDataset } from "../../dataset/dataset_store.ts";
import type { StepContext, StepResult } from "./step_context.ts";

/** Runs an extract step. */
export async function runExtractStep(ctx: StepContext): Promise<StepResult> {
  const connector = await ctx.deps.openConnector(
    ctx.step.connector,
    ctx.step.config,
  );
  try {
    await ctx.log("info", `reading from connector "${ctx.step.connector}"`);
    const batches = connector.read({ ...ctx.step.config, signal: ctx.signal });
    const dataset = await stageDataset(ctx.datasetDir, batches, {
      signal: ctx.signal,
      onProgress: (rows) => ctx.progress({ rowsOut: rows }),
    });
    await ctx.log(
      "info",
      `read ${dataset.rowCount} rows (${dataset.columns.length} columns)`,
    );
    return { rowsIn: dataset.rowCount, rowsOut: dataset.rowCount, dataset };
  } finally {
    await connector.close();
  }
}
