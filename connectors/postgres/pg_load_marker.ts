// The load marker of a PostgreSQL target: one row per load in
// `<schema>._etl_load_marker`, inserted in the load's own transaction. The
// job queue delivers at least once, so a worker that dies after the load
// committed but before the platform recorded it runs the load again; the
// marker, committed or rolled back with the rows, tells that second attempt
// the rows are already there.

import { type Db, type Queryable, quoteIdent } from "../../lib/db/db.ts";

/** The marker table's name, in the target schema (hidden from discover). */
export const LOAD_MARKER_TABLE = "_etl_load_marker";

/** The qualified, quoted marker table of `schema`. */
export function markerTable(schema: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(LOAD_MARKER_TABLE)}`;
}

/**
 * Creates the marker table (of an existing schema) if missing, outside the
 * load's transaction: two first loads creating it at once would otherwise
 * fail on the catalog's unique index; the loser of that race just finds it.
 */
export async function ensureMarkerTable(db: Db, schema: string): Promise<void> {
  const table = markerTable(schema);
  const [found] = await db.query<{ oid: string | null }>(
    "select to_regclass($1)::text as oid",
    [table],
  );
  if (found?.oid) return;
  for (let attempt = 1;; attempt++) {
    try {
      await db.query(
        `create table if not exists ${table} (
           load_id text primary key,
           target_table text not null,
           rows_written bigint not null default 0,
           loaded_at timestamptz not null default now())`,
      );
      return;
    } catch (error) {
      // 23505/42P07: a concurrent first load created it meanwhile.
      const code = (error as { code?: string }).code;
      if (attempt >= 3 || (code !== "23505" && code !== "42P07")) throw error;
    }
  }
}

/**
 * Claims `loadId` inside the load's transaction. Returns null when this
 * attempt must load, or the rows an earlier, committed attempt wrote. An
 * attempt still in flight holds the row: this one waits for it to end.
 */
export async function claimLoad(
  tx: Queryable,
  schema: string,
  loadId: string,
  targetTable: string,
): Promise<number | null> {
  const table = markerTable(schema);
  const inserted = await tx.query(
    `insert into ${table} (load_id, target_table) values ($1, $2)
     on conflict (load_id) do nothing returning load_id`,
    [loadId, targetTable],
  );
  if (inserted.length > 0) return null;
  const [row] = await tx.query<{ rows_written: number | string }>(
    `select rows_written from ${table} where load_id = $1`,
    [loadId],
  );
  return Number(row?.rows_written ?? 0);
}

/** Records how many rows the load wrote, before its commit. */
export async function recordLoad(
  tx: Queryable,
  schema: string,
  loadId: string,
  rows: number,
): Promise<void> {
  await tx.query(
    `update ${markerTable(schema)} set rows_written = $2, loaded_at = now()
     where load_id = $1`,
    [loadId, rows],
  );
}
