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
import { readCursor } from "./pg_reader.ts";

// Parse-time refusals of a shape the statement does not fit (a cursor over
// an INSERT, a RETURNING-less statement in WITH): the next shape is tried.
const WRONG_SHAPE = new Set(["42601", "0A000"]);

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
        return await runInTransaction(tx, text, params, request);
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
): Promise<StatementResult> {
  const options = { ...request, params };
  // A query: streamed by a cursor, from the database's snapshot.
  const selected = await attempt(tx, async () => {
    const first = readCursor(tx, text, options);
    // Describing the query fails fast when it is not one.
    const head = await first.next();
    return { first: head, rest: first };
  });
  if (selected) {
    return await giveRows(request, selected.first, selected.rest);
  }
  // A data-changing statement with RETURNING: its rows go to a temporary
  // table (a cursor cannot hold them), then are streamed from there.
  const returning = await attempt(tx, () =>
    tx.execute(
      `create temp table etl_statement_rows on commit drop as
       with etl_rows as (${text}) select * from etl_rows`,
      params,
    ));
  if (returning !== undefined) {
    const rows = readCursor(tx, "select * from etl_statement_rows", {
      ...request,
      params: [],
    });
    return await giveRows(request, await rows.next(), rows);
  }
  request.signal?.throwIfAborted();
  const rowCount = await tx.execute(text, params);
  return { returnedRows: false, rowCount };
}

// Runs `fn` under a savepoint; a shape refusal rolls back to it and gives
// undefined, any other error is the statement's own and is thrown.
async function attempt<T>(
  tx: Queryable,
  fn: () => Promise<T>,
): Promise<T | undefined> {
  await tx.query("savepoint etl_statement");
  try {
    const result = await fn();
    await tx.query("release savepoint etl_statement");
    return result;
  } catch (error) {
    const code = (error as { code?: string })?.code ?? "";
    if (!WRONG_SHAPE.has(code)) throw error;
    await tx.query("rollback to savepoint etl_statement");
    return undefined;
  }
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
