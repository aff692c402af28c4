// Runs one SQL statement of an sql step in one transaction of a `Db` (a
// user's server or the local warehouse). Rows it returns are streamed
// through a server-side cursor (a SELECT) or a temporary table (RETURNING),
// so memory holds one batch whatever their number.

import { type Db, type Queryable, quoteIdent } from "../../lib/db/db.ts";
import type {
  RecordBatch,
  StatementRequest,
  StatementResult,
} from "../types.ts";
import { describeWithView, readCursor } from "./pg_reader.ts";
import { sqlRegions } from "../../lib/pipeline/template.ts";

/**
 * Runs `request.query` in `schema` in one transaction: committed once its
 * rows (if any) were taken by `request.onRows`, rolled back on any failure.
 * On a server, aborting `request.signal` cancels the running query
 * (`pg_cancel_backend`); PGlite runs in this thread and cannot be interrupted.
 */
export async function executeStatement(
  db: Db,
  request: StatementRequest,
  schema: string,
): Promise<StatementResult> {
  const text = request.query.trim().replace(/;\s*$/, "") + "\n";
  const params = request.params ?? [];
  const { signal } = request;
  signal?.throwIfAborted();
  // The backend running the transaction, while it is ours to cancel.
  let pid: number | undefined;
  const onAbort = () => {
    if (pid === undefined) return;
    db.query("select pg_cancel_backend($1)", [pid]).catch(() => {});
  };
  signal?.addEventListener("abort", onAbort);
  try {
    let shape = shapeOf(text);
    if (shape === "query" && await returnsVoid(db, text, params, schema)) {
      // `select pg_sleep(1)`: no column can hold void, so no rows are kept.
      shape = "command";
    }
    return await db.transaction(async (tx) => {
      await tx.query(`set local search_path to ${quoteIdent(schema)}`);
      if (db.backend === "postgres") {
        const [row] = await tx.query<{ pid: number }>(
          "select pg_backend_pid() as pid",
        );
        pid = row.pid;
        // Aborted between the check and now: nobody cancelled yet.
        if (signal?.aborted) onAbort();
      }
      try {
        return await runInTransaction(tx, text, params, request, shape);
      } finally {
        // After commit the connection serves others: never cancel it then.
        pid = undefined;
      }
    });
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}

async function runInTransaction(
  tx: Queryable,
  text: string,
  params: unknown[],
  request: StatementRequest,
  shape: Shape,
): Promise<StatementResult> {
  if (shape === "query") {
    // Streamed by a cursor, from the database's snapshot.
    const rows = readCursor(tx, text, { ...request, params });
    return await giveRows(request, await rows.next(), rows);
  }
  if (shape === "command") {
    request.signal?.throwIfAborted();
    const rowCount = await tx.execute(text, params);
    return { returnedRows: false, rowCount };
  }
  // A data change with RETURNING: a cursor cannot hold it, so its rows go to
  // a temporary table (on the server), then are streamed from there.
  await tx.execute(
    shape === "returning"
      ? `create temp table etl_statement_rows on commit drop as
         with etl_rows as (${text}) select * from etl_rows`
      : `create temp table etl_statement_rows on commit drop as ${text}`,
    params,
  );
  const rows = readCursor(tx, "select * from etl_statement_rows", {
    ...request,
    params: [],
  });
  return await giveRows(request, await rows.next(), rows);
}

// Whether a query returns a void column, which a cursor's description (a
// temporary view) refuses. Asked in a transaction of its own: postgres.js
// fails a whole transaction on any failed query, even a caught one, which is
// also why a statement's shape is read from its code instead of tried.
async function returnsVoid(
  db: Db,
  text: string,
  params: unknown[],
  schema: string,
): Promise<boolean> {
  try {
    await db.transaction(async (tx) => {
      await tx.query(`set local search_path to ${quoteIdent(schema)}`);
      await describeWithView(tx, text, params);
    });
    return false;
  } catch (error) {
    // Any other problem is the statement's own: running it reports it.
    return (error as { code?: string })?.code === "42P16" &&
      /pseudo-type void/.test(String((error as Error).message));
  }
}

/** How a statement runs. */
export type Shape =
  /** SELECT, VALUES, TABLE, or WITH without a data change: a cursor. */
  | "query"
  /** INSERT, UPDATE, DELETE or MERGE with RETURNING. */
  | "returning"
  /** WITH holding a data change and selecting its rows. */
  | "with-changes"
  /** Anything returning no rows (a data change, DDL, CALL…). */
  | "command";

const QUERY = new Set(["select", "values", "table"]);
const CHANGE = new Set(["insert", "update", "delete", "merge"]);

/** How `text` runs, read from its code at the top level (outside parentheses). */
export function shapeOf(text: string): Shape {
  const code = codeOf(text).toLowerCase();
  const words: string[] = [];
  let depth = 0;
  for (const token of code.matchAll(/[a-z_][a-z0-9_$]*|[()]/g)) {
    if (token[0] === "(") depth++;
    else if (token[0] === ")") depth = Math.max(0, depth - 1);
    else if (depth === 0) words.push(token[0]);
  }
  // "(select …) union …" starts inside parentheses.
  const first = /^\s*\(/.test(code)
    ? code.match(/[a-z_]+/)?.[0] ?? ""
    : words[0] ?? "";
  const main = first === "with"
    ? words.find((word) => QUERY.has(word) || CHANGE.has(word)) ?? ""
    : first;
  if (QUERY.has(main)) {
    const changes = first === "with" &&
      /\b(insert|update|delete|merge)\b/.test(code);
    return changes ? "with-changes" : "query";
  }
  if (CHANGE.has(main)) {
    return words.includes("returning") ? "returning" : "command";
  }
  return "command";
}

// `sql` with its comments and quoted parts blanked out: only code is left to
// read keywords from.
function codeOf(sql: string): string {
  let code = "";
  let last = 0;
  for (const region of sqlRegions(sql, "postgres")) {
    code += sql.slice(last, region.start) +
      " ".repeat(region.end - region.start);
    last = region.end;
  }
  return code + sql.slice(last);
}

async function giveRows(
  request: StatementRequest,
  first: IteratorResult<RecordBatch>,
  rest: AsyncGenerator<RecordBatch>,
): Promise<StatementResult> {
  let rowCount = 0;
  async function* counted() {
    if (first.done) return;
    rowCount += first.value.rows.length;
    yield first.value;
    for await (const batch of rest) {
      rowCount += batch.rows.length;
      yield batch;
    }
  }
  await request.onRows(counted());
  return { returnedRows: true, rowCount };
}
