// load: the dataset of the needed step is streamed into a connector. The
// connector writes in one transaction, so a failure leaves the target as it
// was, and a re-delivered job replays the whole load instead of adding to it.

import { readDataset } from "../../dataset/dataset_store.ts";
import type { WriteMode } from "../../../connectors/types.ts";
import type { StepContext, StepResult } from "./step_context.ts";

/** Runs a load step. */
export async function runLoadStep(ctx: StepContext): Promise<StepResult> {
  const [input] = ctx.inputs;
  if (!input) {
    throw new Error(`Cannot load: step "${ctx.step.id}" has no input dataset`);
  }
  const config = ctx.step.config as {
    table: string;
    mode: WriteMode;
    keys?: string[];
  };
  const connector = await ctx.deps.openConnector(ctx.step.connector, {});
  try {
    await ctx.log(
      "info",
      `loading ${input.rowCount} rows into "${config.table}" (${config.mode}) on connector "${ctx.step.connector}"`,
    );
    const result = await connector.write(readDataset(input), {
      table: config.table,
      mode: config.mode,
      keys: config.keys,
      signal: ctx.signal,
    });
    await ctx.log(
      "info",
      `loaded ${result.rowsWritten} rows into "${config.table}"`,
    );
    return { rowsIn: input.rowCount, rowsOut: result.rowsWritten };
  } finally {
    await connector.close();
  }
}
