// Embedded backend: PGlite (PostgreSQL compiled to WASM) in this process,
// persisted under the data directory, or in memory for tests.

import { PGlite, type Transaction } from "@electric-sql/pglite";
import { type Db, METADATA_SCHEMA, type Queryable } from "./db.ts";

// PGlite reads COPY input from one Blob; feeding it in slices of this size
// keeps memory bounded however large the source is.
const COPY_SLICE_BYTES = 8 * 1024 * 1024;

type PgliteLike = PGlite | Transaction;

function queryable(pg: PgliteLike): Queryable {
  return {
    async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
      const result = await pg.query<T>(sql, params);
      return result.rows;
    },
    async execute(sql: string, params: unknown[] = []): Promise<number> {
      const result = await pg.query(sql, params);
      return result.affectedRows ?? result.rows.length;
    },
    copyFrom(sql, source) {
      return copyInSlices(pg, sql, source);
    },
  };
}

async function copyInSlices(
  pg: PgliteLike,
  sql: string,
  source: AsyncIterable<string | Uint8Array>,
): Promise<void> {
  const statement = sql.replace(/\bstdin\b/i, "'/dev/blob'");
  if (statement === sql) {
    throw new Error(`Cannot run COPY: expected "FROM STDIN" in "${sql}"`);
  }
  let parts: BlobPart[] = [];
  let size = 0;
  const flush = async () => {
    if (size === 0) return;
    const blob = new Blob(parts);
    parts = [];
    size = 0;
    await pg.query(statement, [], { blob });
  };
  // Slices must end on a line boundary: COPY parses each slice on its own.
  const encoder = new TextEncoder();
  let carry: Uint8Array | null = null;
  for await (const chunk of source) {
    let bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
    if (carry) {
      const joined = new Uint8Array(carry.length + bytes.length);
      joined.set(carry);
      joined.set(bytes, carry.length);
      bytes = joined;
      carry = null;
    }
    const lastNewline = bytes.lastIndexOf(10);
    if (lastNewline < bytes.length - 1) {
      carry = bytes.slice(lastNewline + 1);
      bytes = bytes.subarray(0, lastNewline + 1);
    }
    if (bytes.length > 0) {
      parts.push(bytes as Uint8Array<ArrayBuffer>);
      size += bytes.length;
    }
    if (size >= COPY_SLICE_BYTES) await flush();
  }
  if (carry) {
    parts.push(carry as Uint8Array<ArrayBuffer>);
    size += carry.length;
  }
  await flush();
}

/** Options for {@linkcode openPgliteDb}. */
export interface PgliteDbOptions {
  /** Directory holding the database files; omit for an in-memory database. */
  dataDir?: string;
  /** A tarball from `dumpDataDir()` to start from (tests clone a migrated template). */
  loadDataDir?: Blob;
}

/** Opens (creating if needed) an embedded PGlite database. */
export async function openPgliteDb(
  options: PgliteDbOptions = {},
): Promise<Db> {
  const pg = await PGlite.create({
    dataDir: options.dataDir,
    loadDataDir: options.loadDataDir,
  });
  // PGlite is one session, so a session-level search_path holds for good.
  await pg.exec(`set search_path to ${METADATA_SCHEMA}, public`);
  const base = queryable(pg);
  return {
    backend: "pglite",
    ...base,
    transaction(fn) {
      return pg.transaction((tx) => fn(queryable(tx)));
    },
    async listen(channel, onNotify) {
      const unsubscribe = await pg.listen(channel, onNotify);
      return async () => await unsubscribe();
    },
    async notify(channel, payload) {
      await pg.query("select pg_notify($1, $2)", [channel, payload]);
    },
    async close() {
      await pg.close();
    },
    [PGLITE]: pg,
  } as Db;
}

/** Where the PGlite instance behind a Db is kept, for tests that clone it. */
export const PGLITE: unique symbol = Symbol("pglite");

/** Dumps an embedded database to a tarball that `loadDataDir` accepts. */
export function dumpPgliteDb(db: Db): Promise<Blob> {
  const pg = (db as Db & { [PGLITE]?: PGlite })[PGLITE];
  if (!pg) throw new Error("Cannot dump database: it is not a PGlite database");
  return pg.dumpDataDir("none");
}
