// Runs one SQL statement of an sql step on a MySQL / MariaDB connection in
// one transaction. Rows it returns stream off the socket batch by batch; an
// INSERT, UPDATE or DELETE reports its affected rows. DDL commits on its own
// in MySQL (implicit commit), so only data changes roll back.

import type { Connection as CallbackConnection } from "mysql2";
import type mysql from "mysql2/promise";
import type {
  RecordBatch,
  StatementRequest,
  StatementResult,
} from "../types.ts";
import { streamBatches } from "./mysql_reader.ts";

/**
 * Runs `request.query` on `conn` inside a transaction, committed once its
 * rows (if any) were taken by `request.onRows`. The caller destroys `conn`
 * when this throws (the query may still run, the transaction is open).
 */
export async function executeStatement(
  conn: mysql.Connection,
  request: StatementRequest,
): Promise<StatementResult> {
  const sql = request.query.trim().replace(/;\s*$/, "");
  await conn.beginTransaction();
  let status: { affectedRows: number } | undefined;
  const batches = streamBatches(callbackConnection(conn), sql, {
    values: request.params ?? [],
    batchSize: request.batchSize,
    signal: request.signal,
    onStatus: (s) => status = s,
  });
  const first = await batches.next();
  if (status && (first.done || first.value.columns.length === 0)) {
    await batches.return(undefined);
    await conn.commit();
    return { returnedRows: false, rowCount: status.affectedRows };
  }
  let rowCount = 0;
  async function* counted(): AsyncGenerator<RecordBatch> {
    if (first.done) return;
    rowCount += first.value.rows.length;
    yield first.value;
    for await (const batch of batches) {
      rowCount += batch.rows.length;
      yield batch;
    }
  }
  await request.onRows(counted());
  await conn.commit();
  return { returnedRows: true, rowCount };
}

// Streaming needs the callback connection under the promise wrapper.
function callbackConnection(conn: mysql.Connection): CallbackConnection {
  return (conn as unknown as { connection: CallbackConnection }).connection;
}
