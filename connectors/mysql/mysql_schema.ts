// What information_schema says about the connected database: its tables and
// columns for discover(), and a write target's columns and unique keys.

import type { Connection } from "mysql2/promise";
import type { DiscoveredTable } from "../types.ts";
import { columnTypeFromMysql } from "./mysql_types.ts";
import { LOAD_MARKER_TABLE } from "./mysql_load_marker.ts";

/** A write target as the writer needs it. */
export interface TargetTable {
  columns: Set<string>;
  /** Columns of the primary key and of each unique index. */
  uniqueKeys: string[][];
}

interface ColumnRow {
  table_name: string;
  column_name: string;
  data_type: string;
  column_type: string;
}

/** Tables and views of the connection's database with their columns (not the load marker). */
export async function discoverTables(
  conn: Connection,
): Promise<DiscoveredTable[]> {
  const [rows] = await conn.query(
    `select table_schema, table_name as table_name, column_name as column_name,
            data_type as data_type, column_type as column_type
       from information_schema.columns
      where table_schema = database() and table_name <> ?
      order by table_name, ordinal_position`,
    [LOAD_MARKER_TABLE],
  );
  const json = await jsonColumns(conn);
  const tables = new Map<string, DiscoveredTable>();
  for (const row of rows as (ColumnRow & { table_schema: string })[]) {
    let table = tables.get(row.table_name);
    if (!table) {
      table = { schema: row.table_schema, name: row.table_name, columns: [] };
      tables.set(row.table_name, table);
    }
    table.columns.push({
      name: row.column_name,
      type: columnTypeFromMysql(
        row.data_type,
        row.column_type,
        json.has(`${row.table_name}.${row.column_name}`),
      ),
    });
  }
  return [...tables.values()];
}

// MariaDB's JSON is LONGTEXT plus a `json_valid(col)` check; information_schema
// shows only the check. MySQL has a real json type and no TABLE_NAME here.
async function jsonColumns(conn: Connection): Promise<Set<string>> {
  try {
    const [rows] = await conn.query(
      `select table_name as table_name, check_clause as check_clause
         from information_schema.check_constraints
        where constraint_schema = database()`,
    );
    const found = new Set<string>();
    for (const row of rows as { table_name: string; check_clause: string }[]) {
      const column = row.check_clause.match(/^json_valid\(`([^`]+)`\)$/i)?.[1];
      if (column) found.add(`${row.table_name}.${column}`);
    }
    return found;
  } catch {
    return new Set();
  }
}

/** Columns and unique keys of `table`, or undefined when it does not exist. */
export async function describeTarget(
  conn: Connection,
  table: string,
): Promise<TargetTable | undefined> {
  const [columns] = await conn.query(
    `select column_name as name from information_schema.columns
      where table_schema = database() and table_name = ?`,
    [table],
  );
  const names = (columns as { name: string }[]).map((c) => c.name);
  if (names.length === 0) return undefined;
  const [indexes] = await conn.query(
    `select index_name as index_name, column_name as column_name
       from information_schema.statistics
      where table_schema = database() and table_name = ? and non_unique = 0
      order by index_name, seq_in_index`,
    [table],
  );
  const keys = new Map<string, string[]>();
  for (const row of indexes as { index_name: string; column_name: string }[]) {
    const key = keys.get(row.index_name) ?? [];
    key.push(row.column_name);
    keys.set(row.index_name, key);
  }
  return { columns: new Set(names), uniqueKeys: [...keys.values()] };
}
