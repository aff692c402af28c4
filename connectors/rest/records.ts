// Turns JSON records into rows: the columns are inferred once, from the first
// batch, and keys that appear later are kept in the `_extra` json column.

import { DataError } from "../errors.ts";
import type { Column, ColumnType } from "../types.ts";

/** A JSON object as read from the API. */
export type JsonRecord = Record<string, unknown>;

/**
 * Last column of every REST batch: an object of the keys a record has beyond
 * the inferred columns (null when none), so nothing is silently dropped and
 * the column set stays the same from the first batch to the last.
 */
export const EXTRA_COLUMN = "_extra";

/** `value` as a record, or a DataError naming where it came from. */
export function asRecord(
  value: unknown,
  where: string,
  index: number,
): JsonRecord {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    return value as JsonRecord;
  }
  const kind = value === null
    ? "null"
    : Array.isArray(value)
    ? "an array"
    : `a ${typeof value}`;
  throw new DataError(
    `Cannot read records of ${where}: record ${
      index + 1
    } is ${kind}, not an object`,
    { row: index + 1 },
  );
}

/**
 * Columns for `sample`: the union of its keys in order of appearance, typed
 * from the non-null values: `boolean`; `bigint` when every number is a safe
 * integer, else `double`; `json` for objects and arrays; `text` for strings
 * (ISO dates included), mixed kinds and all-null keys. Then {@linkcode EXTRA_COLUMN}.
 */
export function inferColumns(sample: JsonRecord[]): Column[] {
  const kinds = new Map<string, Set<string>>();
  for (const record of sample) {
    for (const [key, value] of Object.entries(record)) {
      if (key === EXTRA_COLUMN) continue;
      let seen = kinds.get(key);
      if (!seen) kinds.set(key, seen = new Set());
      if (value !== null && value !== undefined) seen.add(kindOf(value));
    }
  }
  const columns: Column[] = [...kinds].map(([name, seen]) => ({
    name,
    type: typeFor(seen),
  }));
  columns.push({ name: EXTRA_COLUMN, type: "json" });
  return columns;
}

/** A function turning a record into a row of `columns` (from {@linkcode inferColumns}). */
export function rowMaker(columns: Column[]): (record: JsonRecord) => unknown[] {
  const named = columns.slice(0, -1);
  const known = new Set(named.map((column) => column.name));
  return (record) => {
    const row: unknown[] = named.map((column) =>
      cell(record[column.name], column.type)
    );
    let extra: JsonRecord | null = null;
    for (const key in record) {
      if (known.has(key) || !Object.hasOwn(record, key)) continue;
      extra ??= {};
      extra[key] = record[key];
    }
    row.push(extra);
    return row;
  };
}

/**
 * Whether a cursor value is past `after`: numerically when both are numbers
 * (or `after` a numeric string the engine stored), else as strings, which
 * orders ISO 8601 timestamps of one format. A missing value never is.
 */
export function isAfter(value: unknown, after: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (after === null || after === undefined) return true;
  if (typeof value === "number") {
    const bound = typeof after === "number" ? after : Number(after);
    if (typeof after === "number" || (after !== "" && !Number.isNaN(bound))) {
      return value > bound;
    }
  }
  return String(value) > String(after);
}

function kindOf(value: unknown): string {
  if (typeof value === "number") {
    return Number.isSafeInteger(value) ? "integer" : "number";
  }
  if (typeof value === "object") return "json";
  return typeof value;
}

function typeFor(kinds: Set<string>): ColumnType {
  if (kinds.size === 1) {
    const [kind] = kinds;
    if (kind === "integer") return "bigint";
    if (kind === "number") return "double";
    if (kind === "boolean") return "boolean";
    if (kind === "json") return "json";
    return "text";
  }
  if (kinds.size === 2 && kinds.has("integer") && kinds.has("number")) {
    return "double";
  }
  return "text";
}

// Values pass as they are, except in text columns, which take anything: a
// later value of another kind goes to the target, which reports a mismatch.
function cell(value: unknown, type: ColumnType): unknown {
  if (value === undefined || value === null) return null;
  if (type !== "text" || typeof value === "string") return value;
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}
