// Loads record batches into a MySQL / MariaDB table with multi-row INSERTs
// of bound values, all in one InnoDB transaction: a failure anywhere (a
// rejected value, the source throwing at row 900,000) rolls back, so the
// target is as it was and the load is safe to retry. CREATE TABLE commits
// implicitly in MySQL, so a table this load created is dropped on failure.

import type { Connection } from "mysql2/promise";
import { SchemaError } from "../errors.ts";
import type {
  Column,
  RecordBatch,
  WriteRequest,
  WriteResult,
} from "../types.ts";
import { toConnectorError } from "./mysql_errors.ts";
import { quoteMysqlIdent as q } from "./mysql_reader.ts";
import { describeTarget, type TargetTable } from "./mysql_schema.ts";
import { mysqlTypeOf, toMysqlValue } from "./mysql_types.ts";
import {
  claimLoad,
  ensureMarkerTable,
  recordLoad,
} from "./mysql_load_marker.ts";

/** A write request with what error messages need. */
export interface MysqlWriteRequest extends WriteRequest {
  /** Secrets to keep out of error messages. */
  secrets?: string[];
  /** Rows per INSERT statement (default 1,000). */
  rowsPerStatement?: number;
}

type Bound = Parameters<Connection["execute"]>[1];

// The server caps a prepared statement at 65,535 placeholders.
const MAX_PLACEHOLDERS = 65_535;
// Well under the default max_allowed_packet (16 MiB, 4 MiB on old servers).
const MAX_STATEMENT_CHARS = 2 * 1024 * 1024;

/** Writes `batches` into `request.table` on `conn`; see the file comment. */
export async function writeBatches(
  conn: Connection,
  batches: AsyncIterable<RecordBatch>,
  request: MysqlWriteRequest,
): Promise<WriteResult> {
  const { table, mode } = request;
  const shown = JSON.stringify(table);
  const context = `Cannot load into ${shown}`;
  const load = { rowOffset: 0, created: false };
  const iterator = batches[Symbol.asyncIterator]();
  let begun = false;
  try {
    if (!["append", "replace", "merge"].includes(mode)) {
      throw new SchemaError(`${context}: unknown mode "${mode}"`);
    }
    const first = await nextBatch(iterator, request.signal);
    let target = await describeTarget(conn, table);
    if (first === undefined) {
      // No batch, no columns: nothing to create; replace still empties.
      if (target && mode === "replace") {
        await conn.query(`delete from ${q(table)}`);
      }
      return { rowsWritten: 0 };
    }
    const columns = first.columns;
    const keys = mode === "merge"
      ? mergeKeys(columns, request.keys, context)
      : [];
    if (!target) {
      if (request.create === false) {
        throw new SchemaError(
          `${context}: table ${shown} does not exist and create is off`,
        );
      }
      target = await createTable(conn, table, columns, keys);
      load.created = true;
    }
    checkTarget(target, columns, keys, context, table);
    if (request.loadId !== undefined) await ensureMarkerTable(conn);
    await conn.beginTransaction();
    begun = true;
    if (request.loadId !== undefined) {
      const done = await claimLoad(conn, request.loadId, table);
      if (done !== null) {
        await conn.rollback();
        begun = false;
        return { rowsWritten: done, alreadyLoaded: true };
      }
    }
    if (mode === "replace") await conn.query(`delete from ${q(table)}`);
    const insert = insertSql(table, columns, keys, mode === "merge");
    const convert = columns.map((c) => toMysqlValue(c.type));
    const perStatement = Math.max(
      1,
      Math.min(
        request.rowsPerStatement ?? 1000,
        Math.floor(MAX_PLACEHOLDERS / columns.length),
      ),
    );
    let batch: RecordBatch | undefined = first;
    let params: unknown[] = [];
    let pending = 0;
    let chars = 0;
    const flush = async () => {
      if (pending === 0) return;
      await conn.execute(insert(pending), params as Bound);
      load.rowOffset += pending;
      params = [];
      pending = 0;
      chars = 0;
    };
    while (batch !== undefined) {
      checkColumns(batch.columns, columns, context);
      for (const row of batch.rows) {
        for (let c = 0; c < columns.length; c++) {
          const value = convert[c](row[c] ?? null);
          if (typeof value === "string") chars += value.length;
          params.push(value);
        }
        if (++pending >= perStatement || chars >= MAX_STATEMENT_CHARS) {
          await flush();
        }
      }
      batch = await nextBatch(iterator, request.signal);
    }
    await flush();
    if (request.loadId !== undefined) {
      await recordLoad(conn, request.loadId, load.rowOffset);
    }
    await conn.commit();
    return { rowsWritten: load.rowOffset };
  } catch (error) {
    if (begun) await conn.rollback().catch(() => {});
    if (load.created) {
      await conn.query(`drop table if exists ${q(table)}`).catch(() => {});
    }
    throw toConnectorError(error, context, {
      secrets: request.secrets,
      rowOffset: load.rowOffset,
    });
  } finally {
    // Lets a source that did not finish release its file or cursor.
    await iterator.return?.().catch(() => {});
  }
}

function mergeKeys(
  columns: Column[],
  keys: string[] | undefined,
  context: string,
): string[] {
  if (!keys || keys.length === 0) {
    throw new SchemaError(`${context}: merge needs key columns`);
  }
  for (const key of keys) {
    if (!columns.some((c) => c.name === key)) {
      throw new SchemaError(
        `${context}: merge key ${
          JSON.stringify(key)
        } is not a column of the data`,
      );
    }
  }
  return keys;
}

// The merge keys become the primary key: ON DUPLICATE KEY needs a unique key.
async function createTable(
  conn: Connection,
  table: string,
  columns: Column[],
  keys: string[],
): Promise<TargetTable> {
  const defs = columns.map((c) => {
    const key = keys.includes(c.name);
    const type = mysqlTypeOf(c.type, { key });
    return `${q(c.name)} ${type}${key ? " not null" : ""}`;
  });
  if (keys.length > 0) defs.push(`primary key (${keys.map(q).join(", ")})`);
  await conn.query(
    `create table ${q(table)} (${
      defs.join(", ")
    }) engine=InnoDB default charset=utf8mb4`,
  );
  return {
    columns: new Set(columns.map((c) => c.name)),
    uniqueKeys: keys.length ? [keys] : [],
  };
}

function checkTarget(
  target: TargetTable,
  columns: Column[],
  keys: string[],
  context: string,
  table: string,
): void {
  for (const column of columns) {
    if (!target.columns.has(column.name)) {
      throw new SchemaError(
        `${context}: column ${
          JSON.stringify(column.name)
        } does not exist in the target`,
      );
    }
  }
  if (keys.length === 0) return;
  const wanted = [...keys].sort().join("\0");
  if (target.uniqueKeys.some((k) => [...k].sort().join("\0") === wanted)) {
    return;
  }
  throw new SchemaError(
    `${context}: merge on (${
      keys.join(", ")
    }) needs a unique key on exactly those columns: add one with ALTER TABLE ${
      q(table)
    } ADD UNIQUE (${keys.map(q).join(", ")})`,
  );
}

// The INSERT for `rows` rows; merge updates every non-key column from the
// incoming row (VALUES(): MariaDB has no `AS new` row alias).
function insertSql(
  table: string,
  columns: Column[],
  keys: string[],
  merge: boolean,
): (rows: number) => string {
  const names = columns.map((c) => q(c.name)).join(", ");
  const tuple = `(${columns.map(() => "?").join(", ")})`;
  let suffix = "";
  if (merge) {
    const updates = columns.filter((c) => !keys.includes(c.name))
      .map((c) => `${q(c.name)} = values(${q(c.name)})`);
    // All columns are keys: a duplicate has nothing to update.
    if (updates.length === 0) updates.push(`${q(keys[0])} = ${q(keys[0])}`);
    suffix = ` on duplicate key update ${updates.join(", ")}`;
  }
  const cache = new Map<number, string>();
  return (rows) => {
    let sql = cache.get(rows);
    if (!sql) {
      sql = `insert into ${q(table)} (${names}) values ${
        Array(rows).fill(tuple).join(", ")
      }${suffix}`;
      cache.set(rows, sql);
    }
    return sql;
  };
}

async function nextBatch(
  iterator: AsyncIterator<RecordBatch>,
  signal: AbortSignal | undefined,
): Promise<RecordBatch | undefined> {
  signal?.throwIfAborted();
  const next = await iterator.next();
  return next.done ? undefined : next.value;
}

function checkColumns(got: Column[], expected: Column[], context: string) {
  if (got === expected) return;
  const same = got.length === expected.length &&
    got.every((c, i) => c.name === expected[i].name);
  if (!same) {
    throw new SchemaError(
      `${context}: a batch has columns ${
        got.map((c) => c.name).join(", ")
      }, expected ${expected.map((c) => c.name).join(", ")}`,
    );
  }
}
