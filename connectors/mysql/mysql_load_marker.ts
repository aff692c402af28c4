// The load marker of a MySQL / MariaDB target: one row per load in the
// database's `_etl_load_marker` table, inserted in the load's own InnoDB
// transaction, so a load re-delivered after its commit (the worker died
// before the platform recorded it) finds it and writes nothing.

import type { Connection, ResultSetHeader } from "mysql2/promise";
import { quoteMysqlIdent as q } from "./mysql_reader.ts";

/** The marker table's name (hidden from discover). */
export const LOAD_MARKER_TABLE = "_etl_load_marker";

/** Creates the marker table if missing; before the transaction, as DDL commits. */
export async function ensureMarkerTable(conn: Connection): Promise<void> {
  await conn.query(
    `create table if not exists ${q(LOAD_MARKER_TABLE)} (
       load_id varchar(100) not null primary key,
       target_table varchar(255) not null,
       rows_written bigint not null default 0,
       loaded_at timestamp not null default current_timestamp
     ) engine=InnoDB default charset=utf8mb4`,
  );
}

/**
 * Claims `loadId` inside the open transaction. Returns null when this
 * attempt must load, or the rows an earlier, committed attempt wrote. An
 * attempt still in flight holds the row's lock: this one waits for it.
 */
export async function claimLoad(
  conn: Connection,
  loadId: string,
  targetTable: string,
): Promise<number | null> {
  const [inserted] = await conn.execute<ResultSetHeader>(
    `insert ignore into ${
      q(LOAD_MARKER_TABLE)
    } (load_id, target_table) values (?, ?)`,
    [loadId, targetTable],
  );
  if (inserted.affectedRows > 0) return null;
  const [rows] = await conn.execute(
    `select rows_written from ${q(LOAD_MARKER_TABLE)} where load_id = ?`,
    [loadId],
  );
  const [row] = rows as { rows_written: number | string }[];
  return Number(row?.rows_written ?? 0);
}

/** Records how many rows the load wrote, before its commit. */
export async function recordLoad(
  conn: Connection,
  loadId: string,
  rows: number,
): Promise<void> {
  await conn.execute(
    `update ${
      q(LOAD_MARKER_TABLE)
    } set rows_written = ?, loaded_at = current_timestamp where load_id = ?`,
    [rows, loadId],
  );
}
