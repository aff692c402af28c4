// sql: one statement runs inside a connector's database, in one transaction.
// Templates become bound values. Rows it returns (SELECT, RETURNING) are
// staged as the step's dataset while the transaction is open; a statement
// like INSERT … SELECT moves no data through the platform at all.

import { stageDataset } from "../../dataset/dataset_store.ts";
import type { StagedDataset } from "../../dataset/dataset_store.ts";
import type { StepDefinition } from "../../pipeline/pipeline_schema.ts";
import { renderQuery } from "../../pipeline/template.ts";
import { loadRunContext, usesTemplates } from "../run_context.ts";
import {
  connectorUse,
  type StepContext,
  type StepResult,
} from "./step_context.ts";

type SqlStep = Extract<StepDefinition, { type: "sql" }>;

/** Runs an sql step. */
export async function runSqlStep(ctx: StepContext): Promise<StepResult> {
  const step = ctx.step as SqlStep;
  const context = usesTemplates(step.query)
    ? await loadRunContext(ctx.deps.db, ctx.runId)
    : undefined;
  const connector = await ctx.deps.openConnector(
    step.connector,
    {},
    connectorUse(ctx),
  );
  try {
    if (!connector.execute || !connector.sqlDialect) {
      throw new Error(
        `Cannot run step "${step.id}": connector "${step.connector}" has no SQL database (use a PostgreSQL, MySQL/MariaDB or warehouse connector)`,
      );
    }
    const bound = context
      ? renderQuery(step.query, context, connector.sqlDialect)
      : { text: step.query, values: [] };
    await ctx.log("info", `running statement on connector "${step.connector}"`);
    if (bound.values.length > 0) {
      await ctx.log(
        "info",
        `query values, bound in order: ${JSON.stringify(bound.values)}`,
      );
    }
    let dataset: StagedDataset | undefined;
    const result = await connector.execute({
      query: bound.text,
      params: bound.values,
      signal: ctx.signal,
      // No database call in here: on PGlite the open transaction holds the
      // only session until the rows are staged.
      onRows: async (batches) => {
        dataset = await stageDataset(ctx.datasetDir, batches, {
          signal: ctx.signal,
          onProgress: (rows) => ctx.progress({ rowsOut: rows }),
        });
      },
    });
    await ctx.log(
      "info",
      result.returnedRows
        ? `returned ${result.rowCount} rows (${dataset?.columns.length} columns)`
        : `changed ${result.rowCount} rows`,
    );
    return { rowsIn: 0, rowsOut: result.rowCount, dataset };
  } finally {
    await connector.close();
  }
}
