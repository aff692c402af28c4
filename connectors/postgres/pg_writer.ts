// Loads record batches into a PostgreSQL table with COPY, all in one
// transaction: a failure anywhere (a rejected value, the source throwing at
// row 900,000) leaves the target exactly as it was. Loads are therefore safe
// to retry, which the at-least-once job queue relies on.

import { type Db, type Queryable, quoteIdent } from "../../lib/db/db.ts";
import { SchemaError } from "../errors.ts";
import type {
  Column,
  RecordBatch,
  WriteRequest,
  WriteResult,
} from "../types.ts";
import { batchCopyText, batchRowCount } from "../../lib/dataset/copy_decode.ts";
import { toConnectorError } from "./pg_errors.ts";
import { pgTypeOf } from "./pg_types.ts";
import { claimLoad, ensureMarkerTable, recordLoad } from "./pg_load_marker.ts";

/** A write request aimed at one schema. */
export interface PgWriteRequest extends WriteRequest {
  schema: string;
  /** Secrets to keep out of error messages. */
  secrets?: string[];
}

// The class of the advisory locks taken while creating a target table (the
// platform's other advisory lock, the migrations', is a single bigint key).
const CREATE_TABLE_LOCK = 7_243_002;

// PGlite runs COPY from one in-memory blob per statement, so its input is
// grouped into statements of about this many characters; knowing where each
// starts turns COPY's line number into the row number of the whole load.
const PGLITE_COPY_CHARS = 8 * 1024 * 1024;

/** Writes `batches` into `request.schema`.`request.table`; see the file comment. */
export async function writeBatches(
  db: Db,
  batches: AsyncIterable<RecordBatch>,
  request: PgWriteRequest,
): Promise<WriteResult> {
  const context = `Cannot load into ${JSON.stringify(request.table)}`;
  const load = { rowOffset: 0 };
  try {
    if (request.create !== false || request.loadId !== undefined) {
      await ensureSchema(db, request.schema);
    }
    if (request.loadId !== undefined) {
      await ensureMarkerTable(db, request.schema);
    }
    return await db.transaction((tx) =>
      loadInTransaction(tx, db, batches, request, load)
    );
  } catch (error) {
    throw toConnectorError(error, context, {
      secrets: request.secrets,
      rowOffset: load.rowOffset,
    });
  }
}

/**
 * Creates `schema` if missing, in its own statement: inside the load's
 * transaction, two loads creating it at once would fail on the catalog's
 * unique index. The loser of that race just finds it. An empty schema left
 * by a load that then failed is harmless.
 */
export async function ensureSchema(db: Db, schema: string): Promise<void> {
  for (let attempt = 1;; attempt++) {
    const [found] = await db.query(
      "select 1 from pg_namespace where nspname = $1",
      [schema],
    );
    if (found) return;
    try {
      await db.query(`create schema if not exists ${quoteIdent(schema)}`);
      return;
    } catch (error) {
      // 23505/42P06: created concurrently.
      const code = (error as { code?: string }).code;
      if (attempt >= 3 || (code !== "23505" && code !== "42P06")) throw error;
    }
  }
}

async function loadInTransaction(
  tx: Queryable,
  db: Db,
  batches: AsyncIterable<RecordBatch>,
  request: PgWriteRequest,
  load: { rowOffset: number },
): Promise<WriteResult> {
  const iterator = batches[Symbol.asyncIterator]();
  try {
    const { loadId, schema, table } = request;
    if (loadId === undefined) {
      return await loadFrom(tx, db, iterator, request, load);
    }
    // First, so a second attempt reads nothing and a concurrent one waits.
    const done = await claimLoad(tx, schema, loadId, table);
    if (done !== null) return { rowsWritten: done, alreadyLoaded: true };
    const result = await loadFrom(tx, db, iterator, request, load);
    await recordLoad(tx, schema, loadId, result.rowsWritten);
    return result;
  } finally {
    // Lets a source that did not finish (COPY failed) release its file or cursor.
    await iterator.return?.().catch(() => {});
  }
}

async function loadFrom(
  tx: Queryable,
  db: Db,
  iterator: AsyncIterator<RecordBatch>,
  request: PgWriteRequest,
  load: { rowOffset: number },
): Promise<WriteResult> {
  const { schema, table, mode } = request;
  const target = `${quoteIdent(schema)}.${quoteIdent(table)}`;
  const shown = JSON.stringify(table);
  const first = await nextBatch(iterator, request.signal);
  let existing = await tableColumns(tx, schema, table);
  if (first === undefined) {
    // No batch, no columns: nothing to create; replace still empties.
    if (existing && mode === "replace") await tx.query(`truncate ${target}`);
    return { rowsWritten: 0 };
  }
  const columns = first.columns;
  if (!existing && request.create !== false) {
    // Loads that create the same table at once would collide in the
    // catalog: the first takes the lock and creates it, the others wait
    // for its commit and then find the table.
    await tx.query("select pg_advisory_xact_lock($1, hashtext($2))", [
      CREATE_TABLE_LOCK,
      target,
    ]);
    existing = await tableColumns(tx, schema, table);
  }
  if (!existing) {
    if (request.create === false) {
      throw new SchemaError(
        `Cannot load into ${shown}: table "${schema}.${table}" does not exist and create is off`,
      );
    }
    const defs = columns.map((c) =>
      `${quoteIdent(c.name)} ${pgTypeOf(c.type)}`
    );
    await tx.query(`create table ${target} (${defs.join(", ")})`);
    existing = new Set(columns.map((c) => c.name));
  }
  for (const column of columns) {
    if (!existing.has(column.name)) {
      throw new SchemaError(
        `Cannot load into ${shown}: column ${
          JSON.stringify(column.name)
        } does not exist in the target`,
      );
    }
  }
  const names = columns.map((c) => quoteIdent(c.name)).join(", ");
  let copyTarget = target;
  if (mode === "merge") {
    copyTarget = await createStaging(tx, target, shown, columns, request.keys);
  } else if (mode === "replace") {
    await tx.query(`truncate ${target}`);
  } else if (mode !== "append") {
    throw new SchemaError(`Cannot load into ${shown}: unknown mode "${mode}"`);
  }
  let rows = 0;
  // Never holds more than one batch: encoded and handed to COPY as it comes.
  async function* copyText(): AsyncGenerator<string | Uint8Array> {
    let batch: RecordBatch | undefined = first;
    while (batch !== undefined) {
      checkColumns(batch.columns, columns, shown);
      // Staged or COPY TO data is COPY text already: sent as is, unparsed.
      const count = batchRowCount(batch);
      rows += count;
      if (count > 0) yield batchCopyText(batch);
      batch = await nextBatch(iterator, request.signal);
    }
  }
  const copy = `copy ${copyTarget} (${names}) from stdin`;
  if (db.backend === "pglite") {
    await copyInGroups(tx, copy, copyText(), load, () => rows);
  } else {
    await tx.copyFrom(copy, copyText());
  }
  if (mode === "merge") {
    await mergeStaging(tx, target, copyTarget, columns, request.keys!);
  }
  return { rowsWritten: rows };
}

// Column names of `schema`.`table`, or undefined when it does not exist.
// Plain queries on the catalog, not to_regclass(): those see a table that
// another load committed while this one waited for the create lock, where
// to_regclass() may still answer from this session's cache that it is missing.
async function tableColumns(
  tx: Queryable,
  schema: string,
  table: string,
): Promise<Set<string> | undefined> {
  const rows = await tx.query<{ name: string | null }>(
    `select a.attname as name
       from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
       left join pg_attribute a
         on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      where n.nspname = $1 and c.relname = $2`,
    [schema, table],
  );
  if (rows.length === 0) return undefined;
  return new Set(rows.flatMap((row) => row.name === null ? [] : [row.name]));
}

// Merge loads into a temporary copy of the target first; a row counter
// column lets the last of several rows with the same key win.
async function createStaging(
  tx: Queryable,
  target: string,
  shown: string,
  columns: Column[],
  keys: string[] | undefined,
): Promise<string> {
  if (!keys || keys.length === 0) {
    throw new SchemaError(`Cannot load into ${shown}: merge needs key columns`);
  }
  for (const key of keys) {
    if (!columns.some((c) => c.name === key)) {
      throw new SchemaError(
        `Cannot load into ${shown}: merge key ${
          JSON.stringify(key)
        } is not a column of the data`,
      );
    }
  }
  const staging = quoteIdent(`etl_staging_${crypto.randomUUID().slice(0, 8)}`);
  await tx.query(
    `create temp table ${staging} (like ${target}) on commit drop`,
  );
  await tx.query(
    `alter table ${staging} add column etl_row bigint generated always as identity`,
  );
  return staging;
}

async function mergeStaging(
  tx: Queryable,
  target: string,
  staging: string,
  columns: Column[],
  keys: string[],
): Promise<void> {
  const names = columns.map((c) => quoteIdent(c.name)).join(", ");
  const keyList = keys.map(quoteIdent).join(", ");
  const match = keys.map((k) => `t.${quoteIdent(k)} = s.${quoteIdent(k)}`)
    .join(" and ");
  await tx.query(`delete from ${target} t using ${staging} s where ${match}`);
  await tx.query(
    `insert into ${target} (${names})
     select ${names} from (
       select distinct on (${keyList}) * from ${staging}
        order by ${keyList}, etl_row desc
     ) s`,
  );
}

// One COPY statement per ~8 MB; `load.rowOffset` says where the running one
// starts, for the row number in an error.
async function copyInGroups(
  tx: Queryable,
  copy: string,
  chunks: AsyncIterable<string | Uint8Array>,
  load: { rowOffset: number },
  rowsSoFar: () => number,
): Promise<void> {
  let group: (string | Uint8Array)[] = [];
  let size = 0;
  let groupStart = 0;
  for await (const chunk of chunks) {
    group.push(chunk);
    size += chunk.length;
    if (size >= PGLITE_COPY_CHARS) {
      load.rowOffset = groupStart;
      await tx.copyFrom(copy, each(group));
      groupStart = rowsSoFar();
      group = [];
      size = 0;
    }
  }
  if (group.length > 0) {
    load.rowOffset = groupStart;
    await tx.copyFrom(copy, each(group));
  }
}

async function* each(
  strings: (string | Uint8Array)[],
): AsyncGenerator<string | Uint8Array> {
  yield* strings;
}

async function nextBatch(
  iterator: AsyncIterator<RecordBatch>,
  signal: AbortSignal | undefined,
): Promise<RecordBatch | undefined> {
  signal?.throwIfAborted();
  const next = await iterator.next();
  return next.done ? undefined : next.value;
}

function checkColumns(got: Column[], expected: Column[], shown: string): void {
  if (got === expected) return;
  const same = got.length === expected.length &&
    got.every((c, i) => c.name === expected[i].name);
  if (!same) {
    throw new SchemaError(
      `Cannot load into ${shown}: a batch has columns ${
        got.map((c) => c.name).join(", ")
      }, expected ${expected.map((c) => c.name).join(", ")}`,
    );
  }
}
