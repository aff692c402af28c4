// load: the dataset of the needed step is streamed into a connector. The
// connector writes in one transaction, so a failure leaves the target as it
// was; the TaskRun's load key goes with the rows (the target's load marker),
// so a job re-delivered after the commit writes nothing a second time.
// Templates in the config (e.g. the table) are rendered with the run's context.

import { readDataset } from "../../dataset/dataset_store.ts";
import type { RecordBatch, WriteMode } from "../../../connectors/types.ts";
import {
  connectorUse,
  type StepContext,
  type StepResult,
} from "./step_context.ts";
import { loadRunContext, usesTemplates } from "../run_context.ts";
import { renderConfig } from "../../pipeline/template.ts";
import { crashPoint } from "../crash_point.ts";
import type { StepDefinition } from "../../pipeline/pipeline_schema.ts";

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
  const step = ctx.step as Extract<StepDefinition, { type: "load" }>;
  type LoadConfig = { table: string; mode: WriteMode; keys?: string[] };
  let config = step.config as LoadConfig;
  if (usesTemplates(config)) {
    config = renderConfig(
      config,
      await loadRunContext(ctx.deps.db, ctx.runId),
    );
  }
  const connector = await ctx.deps.openConnector(
    step.connector,
    {},
    connectorUse(ctx),
  );
  try {
    await ctx.log(
      "info",
      `loading ${
        input ? `${input.rowCount} rows` : "rows as they are read"
      } into "${config.table}" (${config.mode}) on connector "${step.connector}"`,
    );
    const result = await connector.write(streamed ?? readDataset(input!), {
      table: config.table,
      mode: config.mode,
      keys: config.keys,
      loadId: ctx.loadKey,
      signal: ctx.signal,
    });
    await ctx.log(
      "info",
      result.alreadyLoaded
        ? `already loaded by an earlier attempt: ${result.rowsWritten} rows in "${config.table}", nothing written`
        : `loaded ${result.rowsWritten} rows into "${config.table}"`,
    );
    await crashPoint("after-load-commit");
    return {
      rowsIn: input?.rowCount ?? result.rowsWritten,
      rowsOut: result.rowsWritten,
    };
  } finally {
    await connector.close();
  }
}
