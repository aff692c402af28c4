// Streams a table or a query out of PostgreSQL as record batches, holding at
// most one batch in memory, from a user's server or from the platform's Db.

import type postgres from "postgres";
import { type Db, type Queryable, quoteIdent } from "../../lib/db/db.ts";
import { SchemaError } from "../errors.ts";
import { CopyTextBatch, lineGroups } from "../../lib/dataset/copy_decode.ts";
import type { Column, ReadCursor, ReadRequest, RecordBatch } from "../types.ts";
import { bigintValue, columnTypeFromPg, selectExpression } from "./pg_types.ts";

/** Rows per batch when the request does not say. */
export const DEFAULT_BATCH_SIZE = 10_000;

interface PgColumn {
  name: string;
  pgType: string;
}

/** The SELECT a read request stands for, in `schema`. */
export function readSql(request: ReadRequest, schema: string): string {
  if (request.query !== undefined && request.table !== undefined) {
    throw new SchemaError(
      "Cannot read: give either a table or a query, not both",
    );
  }
  if (request.query !== undefined) {
    // A trailing semicolon would end the statement the query is wrapped in.
    return request.query.trim().replace(/;\s*$/, "");
  }
  if (request.table !== undefined) {
    return `select * from ${quoteIdent(schema)}.${quoteIdent(request.table)}`;
  }
  throw new SchemaError("Cannot read: give a table or a query");
}

/**
 * Wraps a read in the incremental cursor's filter and order. The last value
 * is a bound parameter, never pasted into the text; compared as the column's
 * own type (cast by PostgreSQL from text). `params` are the values already
 * bound to `$1…` of `text`: the cursor's value comes after them.
 */
export function withCursor(
  text: string,
  cursor: ReadCursor | undefined,
  params: unknown[] = [],
): { text: string; params: unknown[] } {
  if (!cursor) return { text, params };
  const field = `q.${quoteIdent(cursor.field)}`;
  if (cursor.after === null || cursor.after === undefined) {
    return { text: `select * from (${text}) q order by ${field}`, params };
  }
  return {
    text: `select * from (${text}) q where ${field} > $${
      params.length + 1
    } order by ${field}`,
    params: [...params, String(cursor.after)],
  };
}

/**
 * Reads through a `Db` (the local warehouse): a cursor (`declare … fetch n`)
 * in one read transaction, so the query runs once over one snapshot, which
 * keyset or offset paging cannot promise for an arbitrary query. On PGlite,
 * the open transaction holds the embedded database until the read ends or
 * the consumer stops: do not write to the same embedded database from
 * inside the read loop (stage the data first, as pipelines do).
 */
export function readFromDb(
  db: Db,
  text: string,
  options: {
    schema: string;
    batchSize?: number;
    signal?: AbortSignal;
    cursor?: ReadCursor;
    /** Values of `text`'s `$1…` placeholders. */
    params?: unknown[];
  },
): AsyncGenerator<RecordBatch> {
  const params = options.params ?? [];
  const filtered = withCursor(text, options.cursor, params);
  return pull<RecordBatch>((emit) =>
    db.transaction(async (tx) => {
      await tx.query(`set local search_path to ${quoteIdent(options.schema)}`);
      const batches = readCursor(tx, text, {
        ...options,
        params,
        select: filtered.text,
        selectParams: filtered.params,
      });
      for await (const batch of batches) {
        if (!await emit(batch)) break;
      }
    })
  );
}

/**
 * Streams `text` inside the open transaction `tx` through a cursor
 * (`declare … fetch n`), `size` rows at a time; the first batch goes out
 * even when empty, as it carries the columns. `select` (default `text`) is
 * what is fetched, e.g. `text` filtered by an incremental cursor.
 */
export async function* readCursor(
  tx: Queryable,
  text: string,
  options: {
    batchSize?: number;
    signal?: AbortSignal;
    params?: unknown[];
    select?: string;
    selectParams?: unknown[];
  },
): AsyncGenerator<RecordBatch> {
  const size = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const params = options.params ?? [];
  const pgColumns = await describeWithView(tx, text, params);
  const columns = toColumns(pgColumns);
  const select = pgColumns.map((c) =>
    `${selectExpression(c.name, c.pgType)} as ${quoteIdent(c.name)}`
  ).join(", ");
  await tx.query(
    `declare etl_read no scroll cursor for select ${select} from (${
      options.select ?? text
    }) q`,
    options.selectParams ?? params,
  );
  const names = pgColumns.map((c) => c.name);
  const convert = converters(pgColumns);
  for (let first = true;; first = false) {
    options.signal?.throwIfAborted();
    const objects = await tx.query(`fetch forward ${size} from etl_read`);
    if (objects.length === 0 && !first) break;
    const rows = objects.map((object) => convert(names.map((n) => object[n])));
    yield { columns, rows };
    if (objects.length < size) break;
  }
  await tx.query("close etl_read");
}

/** Reads through a user's server with a postgres.js cursor. */
export async function* readFromServer(
  sql: postgres.Sql,
  text: string,
  options: {
    batchSize?: number;
    signal?: AbortSignal;
    cursor?: ReadCursor;
    /** Values of `text`'s `$1…` placeholders. */
    params?: unknown[];
  },
): AsyncGenerator<RecordBatch> {
  const params = options.params ?? [];
  // describe() gives the columns even when the query returns no row.
  // deno-lint-ignore no-explicit-any
  const described = await sql.unsafe(text, params as any[]).describe();
  const filtered = withCursor(text, options.cursor, params);
  const oids = (described.columns ?? []).map((c) => c.type);
  const names = await sql.unsafe<{ name: string }[]>(
    "select format_type(oid, null) as name from unnest($1::oid[]) with ordinality as t(oid, n) order by n",
    [oids],
  );
  const columns = toColumns(
    (described.columns ?? []).map((c, i) => ({
      name: c.name,
      pgType: names[i].name,
    })),
  );
  let sent = false;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (
    // COPY takes no bound parameters: a parameterized query uses the cursor.
    !options.cursor && params.length === 0 && batchSize >= COPY_MIN_BATCH &&
    names.every((n) => copySafe(n.name))
  ) {
    // Bulk read: COPY TO hands over COPY text, which a PostgreSQL target
    // loads without a value being parsed on our side (rows decode lazily).
    const readable = await sql.unsafe(`copy (${text}) to stdout`).readable();
    try {
      for await (const group of lineGroups(readable, batchSize)) {
        options.signal?.throwIfAborted();
        sent = true;
        yield new CopyTextBatch(columns, group);
      }
    } finally {
      readable.destroy();
    }
    if (!sent) yield { columns, rows: [] };
    return;
  }
  // deno-lint-ignore no-explicit-any
  const cursor = sql.unsafe(filtered.text, filtered.params as any[]).values()
    .cursor(
      options.batchSize ?? DEFAULT_BATCH_SIZE,
    );
  for await (const rows of cursor) {
    options.signal?.throwIfAborted();
    sent = true;
    // Plain arrays: postgres.js decorates its result arrays.
    yield { columns, rows: Array.from(rows as unknown as unknown[][]) };
  }
  if (!sent) yield { columns, rows: [] };
}

// COPY TO is for bulk reads; previews and other small reads stop early,
// which a cursor does cleanly.
const COPY_MIN_BATCH = 1000;

// Types whose COPY text means the same to every consumer: a PostgreSQL
// target parses it, and copy_decode.ts turns it into the values the cursor
// path would give (arrays, bytea and zone-less timestamps differ, so they
// take the cursor path).
const COPY_SAFE =
  /^(bigint|integer|smallint|text|boolean|date|uuid|json|jsonb|double precision|real|numeric|character varying|character|timestamp with time zone)(\(.*\))?$/;

function copySafe(pgType: string): boolean {
  return COPY_SAFE.test(pgType);
}

/**
 * Columns and PostgreSQL types of a query, without running it. A view
 * cannot hold bound parameters: with `params`, an empty temp table made
 * from the query (`with no data`) says the same.
 */
export async function describeWithView(
  tx: Queryable,
  text: string,
  params: unknown[] = [],
): Promise<PgColumn[]> {
  const view = `etl_describe_${crypto.randomUUID().slice(0, 8)}`;
  if (params.length > 0) {
    await tx.query(
      `create temp table ${
        quoteIdent(view)
      } as select * from (${text}) q with no data`,
      params,
    );
  } else {
    await tx.query(`create temp view ${quoteIdent(view)} as ${text}`);
  }
  const rows = await tx.query<{ name: string; type: string }>(
    `select attname as name, format_type(atttypid, atttypmod) as type
       from pg_attribute
      where attrelid = to_regclass($1) and attnum > 0 and not attisdropped
      order by attnum`,
    [`pg_temp.${quoteIdent(view)}`],
  );
  await tx.query(
    `drop ${params.length > 0 ? "table" : "view"} ${quoteIdent(view)}`,
  );
  return rows.map((row) => ({ name: row.name, pgType: row.type }));
}

function toColumns(pgColumns: PgColumn[]): Column[] {
  return pgColumns.map((c) => ({
    name: c.name,
    type: columnTypeFromPg(c.pgType),
  }));
}

// bigint columns arrive as text (see selectExpression) and become numbers.
function converters(pgColumns: PgColumn[]): (row: unknown[]) => unknown[] {
  const bigints = pgColumns.flatMap((c, i) =>
    /^(bigint|int8)$/i.test(c.pgType) ? [i] : []
  );
  if (bigints.length === 0) return (row) => row;
  return (row) => {
    for (const i of bigints) row[i] = bigintValue(row[i] as string | null);
    return row;
  };
}

/**
 * Turns a producer that calls `emit(value)` into an async generator. `emit`
 * resolves when the consumer asks for more (true) or stops early (false), so
 * the producer never runs ahead by more than one value.
 */
export async function* pull<T>(
  produce: (emit: (value: T) => Promise<boolean>) => Promise<void>,
): AsyncGenerator<T> {
  let pending: { value: T; resume: (more: boolean) => void } | undefined;
  let wake: (() => void) | undefined;
  let finished = false;
  let failure: { error: unknown } | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const task = produce((value) =>
    new Promise<boolean>((resume) => {
      pending = { value, resume };
      notify();
    })
  ).then(
    () => {
      finished = true;
      notify();
    },
    (error) => {
      failure = { error };
      finished = true;
      notify();
    },
  );
  let current: typeof pending;
  try {
    while (true) {
      if (!pending && !finished) await new Promise<void>((r) => wake = r);
      if (pending) {
        current = pending;
        pending = undefined;
        yield current.value;
        current.resume(true);
        continue;
      }
      if (failure) throw failure.error;
      return;
    }
  } finally {
    // The consumer stopped early: let the producer end (and commit) first.
    current?.resume(false);
    pending?.resume(false);
    await task;
  }
}
