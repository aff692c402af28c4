// extract: a connector reads, and its record batches are staged as the
// step's dataset for the steps that need it. With a cursor, only records past
// the last successful run's largest value are read. Templates in the config
// are rendered with the run's context; in a SQL query, as bound values.

import { stageDataset } from "../../dataset/dataset_store.ts";
import {
  connectorUse,
  type StepContext,
  type StepResult,
} from "./step_context.ts";
import type { StepDefinition } from "../../pipeline/pipeline_schema.ts";
import { loadCursor, trackCursor } from "../extract_cursor.ts";
import { teeBatches } from "../tee_batches.ts";
import type { Connector, RecordBatch } from "../../../connectors/types.ts";
import { loadRunContext, usesTemplates } from "../run_context.ts";
import {
  renderConfig,
  renderQuery,
  renderText,
  type TemplateContext,
} from "../../pipeline/template.ts";

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
  const context = usesTemplates(step.config)
    ? await loadRunContext(ctx.deps.db, ctx.runId)
    : undefined;
  // A SQL query is rendered once the connector says how it binds values.
  const { query, ...rest } = step.config;
  const sql = typeof query === "string" ? query : undefined;
  const unrendered = sql === undefined ? step.config : rest;
  const config = context ? renderConfig(unrendered, context) : unrendered;
  const connector = await ctx.deps.openConnector(
    step.connector,
    sql === undefined ? config : { ...config, query: sql },
    connectorUse(ctx),
  );
  try {
    const bound = sql === undefined
      ? { params: [] }
      : boundQuery(connector, sql, context);
    const after = step.cursor
      ? await loadCursor(ctx.deps.db, ctx.pipelineId, step.id)
      : null;
    const where = step.cursor
      ? ` where ${step.cursor.field} > ${JSON.stringify(after)}`
      : "";
    await ctx.log("info", `reading from connector "${step.connector}"${where}`);
    if (bound.params.length > 0) {
      await ctx.log(
        "info",
        `query values, bound in order: ${JSON.stringify(bound.params)}`,
      );
    }
    const read = connector.read({
      ...config,
      ...bound,
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

// A SQL connector's query gets placeholders and bound values; any other
// connector's query is plain text.
function boundQuery(
  connector: Connector,
  query: string,
  context: TemplateContext | undefined,
): { query: string; params: unknown[] } {
  if (!context) return { query, params: [] };
  if (connector.sqlDialect) {
    const { text, values } = renderQuery(query, context, connector.sqlDialect);
    return { query: text, params: values };
  }
  return { query: renderText(query, context), params: [] };
}
