// load: the dataset of the needed step is streamed into a connector. The
// connector writes in one transaction, so a failure leaves the target as it
// was, and a re-delivered job replays the whole load instead of adding to it.

import { readDataset } from "../../dataset/dataset_store.ts";
import type { RecordBatch, WriteMode } from "../../../connectors/types.ts";
import {
  connectorUse,
  type StepContext,
  type StepResult,
} from "./step_context.ts";

/**
 * Runs a load step from its input's staged dataset, or from `streamed`
 * batches while the extract that makes them is still running.
 */
export async function runLoadStep(
  ctx: StepContext,
  streamed?: AsyncIterable<RecordBatch>,
): Promise<StepResult> {
  const [input] = ctx.inputs;
  if (!input && !streamed) {
    throw new Error(`Cannot load: step "${ctx.step.id}" has no input dataset`);
  }
  const config = ctx.step.config as {
    table: string;
    mode: WriteMode;
    keys?: string[];
  };
  const connector = await ctx.deps.openConnector(
    ctx.step.connector,
    {},
    connectorUse(ctx),
  );
  try {
    await ctx.log(
      "info",
      `loading ${
        input ? `${input.rowCount} rows` : "rows as they are read"
      } into "${config.table}" (${config.mode}) on connector "${ctx.step.connector}"`,
    );
    const result = await connector.write(streamed ?? readDataset(input!), {
      table: config.table,
      mode: config.mode,
      keys: config.keys,
      signal: ctx.signal,
    });
    await ctx.log(
      "info",
      `loaded ${result.rowsWritten} rows into "${config.table}"`,
    );
    return {
      rowsIn: input?.rowCount ?? result.rowsWritten,
      rowsOut: result.rowsWritten,
    };
  } finally {
    await connector.close();
  }
}
