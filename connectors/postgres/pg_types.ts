// Maps the platform's column types to PostgreSQL types and back, and says
// how each PostgreSQL type is selected so both database drivers hand the
// same JS values to the rest of the platform.

import { quoteIdent } from "../../lib/db/db.ts";
import type { ColumnType } from "../types.ts";

const TO_PG: Record<ColumnType, string> = {
  text: "text",
  bigint: "bigint",
  double: "double precision",
  numeric: "numeric",
  boolean: "boolean",
  date: "date",
  timestamptz: "timestamptz",
  json: "jsonb",
};

/** The PostgreSQL type a column of `type` is created with. */
export function pgTypeOf(type: ColumnType): string {
  return TO_PG[type] ?? "text";
}

const FROM_PG: Record<string, ColumnType> = {
  smallint: "bigint",
  integer: "bigint",
  bigint: "bigint",
  int2: "bigint",
  int4: "bigint",
  int8: "bigint",
  real: "double",
  "double precision": "double",
  float4: "double",
  float8: "double",
  numeric: "numeric",
  decimal: "numeric",
  boolean: "boolean",
  bool: "boolean",
  date: "date",
  "timestamp with time zone": "timestamptz",
  "timestamp without time zone": "timestamptz",
  timestamp: "timestamptz",
  timestamptz: "timestamptz",
  json: "json",
  jsonb: "json",
};

/**
 * The platform type of a PostgreSQL type name as `format_type()` or
 * `information_schema` spell it (`numeric(10,2)`, `integer[]`, `ARRAY`).
 * Arrays become json (drivers return JS arrays); anything unknown is text.
 */
export function columnTypeFromPg(pgType: string): ColumnType {
  const name = pgType.toLowerCase().replace(/\(.*?\)/g, "").trim();
  if (name.endsWith("[]") || name === "array") return "json";
  return FROM_PG[name] ?? "text";
}

/**
 * The select-list expression that reads column `name` of PostgreSQL type
 * `pgType`, and how to turn the driver's value into the platform's.
 * - bigint as text, then a number when exact, else the string: numbers JSON-
 *   serialize when staged (BigInt does not) and never silently lose digits;
 * - date as "YYYY-MM-DD": a JS Date would shift with the process time zone;
 * - timestamp without time zone read as UTC, so it is the same instant
 *   whatever the server's or the process's time zone.
 */
export function selectExpression(name: string, pgType: string): string {
  const quoted = quoteIdent(name);
  const base = pgType.toLowerCase().replace(/\(.*?\)/g, "").trim();
  if (base === "bigint" || base === "int8") return `${quoted}::text`;
  if (base === "date") return `${quoted}::text`;
  if (base === "timestamp without time zone" || base === "timestamp") {
    return `${quoted} at time zone 'UTC'`;
  }
  return quoted;
}

/** Converts a bigint read as text: a number when exact, else the string. */
export function bigintValue(text: string | null): number | string | null {
  if (text === null) return null;
  const number = Number(text);
  return Number.isSafeInteger(number) ? number : text;
}
