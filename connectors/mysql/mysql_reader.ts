// Streams a table or a query out of MySQL / MariaDB as record batches. Rows
// arrive as arrays (rowsAsArray) straight off the socket; the connection is
// paused while a full batch waits for the consumer, so memory holds about
// two batches whatever the table's size.

import type { Connection } from "mysql2";
import { SchemaError } from "../errors.ts";
import type { Column, ReadRequest, RecordBatch } from "../types.ts";
import {
  columnTypeOfField,
  type MysqlField,
  rowConverter,
} from "./mysql_types.ts";

/** Rows per batch when the request does not say. */
export const DEFAULT_BATCH_SIZE = 10_000;

/** Quotes a MySQL identifier (`my`table` → `` `my``table` ``). */
export function quoteMysqlIdent(name: string): string {
  return "`" + name.replaceAll("`", "``") + "`";
}

/**
 * The SELECT a read request stands for and its bound values: a query's own
 * `params` (for its `?` placeholders), then the cursor's. A cursor reads
 * rows whose field is greater than `after`, in the field's order, so the
 * largest value seen is the next run's `after`.
 */
export function readSql(
  request: ReadRequest,
): { sql: string; values: unknown[] } {
  if (request.query !== undefined && request.table !== undefined) {
    throw new SchemaError(
      "Cannot read: give either a table or a query, not both",
    );
  }
  let sql: string;
  const params = request.query !== undefined ? request.params ?? [] : [];
  if (request.query !== undefined) {
    // A trailing semicolon would end the statement the query is wrapped in.
    sql = request.query.trim().replace(/;\s*$/, "");
  } else if (request.table !== undefined) {
    sql = `select * from ${quoteMysqlIdent(request.table)}`;
  } else {
    throw new SchemaError("Cannot read: give a table or a query");
  }
  const cursor = request.cursor;
  if (!cursor) return { sql, values: params };
  const field = quoteMysqlIdent(cursor.field);
  const from = request.query !== undefined ? `(${sql}) as etl_q` : null;
  const base = from ? `select * from ${from}` : sql;
  if (cursor.after === null || cursor.after === undefined) {
    return { sql: `${base} order by ${field}`, values: params };
  }
  return {
    sql: `${base} where ${field} > ? order by ${field}`,
    values: [...params, cursorValue(cursor.after)],
  };
}

// An ISO instant ("…T10:00:00.000Z") is how the engine remembers a datetime:
// as a Date it is bound in UTC, the zone sessions run in.
function cursorValue(after: string | number): string | number | Date {
  if (
    typeof after === "string" &&
    /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(after)
  ) {
    return new Date(after);
  }
  return after;
}

/** The platform columns of a result's fields. */
export function columnsOfFields(fields: MysqlField[]): Column[] {
  return fields.map((field) => ({
    name: field.name,
    type: columnTypeOfField(field),
  }));
}

/**
 * Runs `sql` on `connection` (mysql2's callback connection) and yields its
 * rows in batches of `batchSize`; an empty result yields one empty batch
 * that still names the columns. The caller owns the connection but must
 * destroy it when the consumer stops early: the query is still running.
 */
export async function* streamBatches(
  connection: Connection,
  sql: string,
  options: {
    values?: unknown[];
    batchSize?: number;
    signal?: AbortSignal;
    /** Gets the status of a statement that returns no rows (an UPDATE). */
    onStatus?: (status: { affectedRows: number }) => void;
  },
): AsyncGenerator<RecordBatch> {
  const size = options.batchSize ?? DEFAULT_BATCH_SIZE;
  let columns: Column[] = [];
  let convert: ((rows: unknown[][]) => void) | undefined;
  let current: unknown[][] = [];
  const ready: unknown[][][] = [];
  let ended = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const query = connection.query({
    sql,
    values: options.values,
    rowsAsArray: true,
  });
  query.on("fields", (fields: MysqlField[] | undefined) => {
    // A statement that returns no rows (an UPDATE) announces no fields.
    if (!fields) return;
    columns = columnsOfFields(fields);
    convert = rowConverter(fields);
  });
  query.on("result", (row: unknown) => {
    if (!convert && !Array.isArray(row)) {
      options.onStatus?.(row as { affectedRows: number });
      return;
    }
    current.push(row as unknown[]);
    if (current.length >= size) {
      ready.push(current);
      current = [];
      // Backpressure: stop reading the socket until the consumer catches up.
      connection.pause();
      notify();
    }
  });
  query.on("error", (error: unknown) => {
    failure ??= { error };
    ended = true;
    notify();
  });
  query.on("end", () => {
    ended = true;
    notify();
  });
  const onAbort = () => notify();
  options.signal?.addEventListener("abort", onAbort);
  try {
    let sent = false;
    while (true) {
      options.signal?.throwIfAborted();
      if (ready.length === 0 && !ended) {
        await new Promise<void>((resolve) => wake = resolve);
        continue;
      }
      const rows = ready.shift();
      if (rows) {
        // Let the next batch fill while the consumer works on this one.
        if (!ended) connection.resume();
        convert?.(rows);
        sent = true;
        yield { columns, rows };
        continue;
      }
      if (failure) throw failure.error;
      if (current.length > 0 || !sent) {
        convert?.(current);
        yield { columns, rows: current };
      }
      return;
    }
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
}
