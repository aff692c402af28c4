// Guesses column types from a sample of CSV values, so a target can create
// typed columns instead of text everywhere.

import type { Column, ColumnType } from "../types.ts";

// Leading zeros ("007", a zip code) stay text: a number would lose them.
const INTEGER = /^[+-]?(?:0|[1-9]\d*)$/;
const DECIMAL = /^[+-]?(?:(?:0|[1-9]\d*)(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const BOOLEAN = /^(?:true|false|t|f)$/i;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const INT8_MAX = 9223372036854775807n;
const INT8_MIN = -9223372036854775808n;

// Candidate types as bits; a value clears the bits of types it cannot be.
const BIGINT = 1;
const NUMERIC = 2;
const BOOL = 4;
const DATE_ONLY = 8;
const TIMESTAMPTZ = 16;
const ALL = BIGINT | NUMERIC | BOOL | DATE_ONLY | TIMESTAMPTZ;

/**
 * Infers a type per column from sample rows: `bigint` (integers that fit
 * int8), `numeric`, `boolean` (true/false/t/f), `date` (YYYY-MM-DD),
 * `timestamptz` (ISO 8601 with a time, zone optional; dates mix in), else
 * `text`. Nulls are ignored; an all-null column is `text`.
 */
export function inferColumnTypes(
  columns: string[],
  sample: (string | null)[][],
): Column[] {
  return columns.map((name, index) => {
    let candidates = ALL;
    let seen = false;
    for (const row of sample) {
      const value = row[index];
      if (value === null || value === undefined) continue;
      seen = true;
      candidates &= typesOf(value);
      if (candidates === 0) break;
    }
    return { name, type: seen ? pick(candidates) : "text" };
  });
}

function pick(candidates: number): ColumnType {
  if (candidates & BOOL) return "boolean";
  if (candidates & BIGINT) return "bigint";
  if (candidates & NUMERIC) return "numeric";
  if (candidates & DATE_ONLY) return "date";
  if (candidates & TIMESTAMPTZ) return "timestamptz";
  return "text";
}

function typesOf(value: string): number {
  if (INTEGER.test(value)) {
    // Up to 18 digits always fit; only longer ones need the exact check.
    const digits = value.length -
      (value[0] === "+" || value[0] === "-" ? 1 : 0);
    if (digits <= 18) return BIGINT | NUMERIC;
    const big = BigInt(value);
    return big >= INT8_MIN && big <= INT8_MAX ? BIGINT | NUMERIC : NUMERIC;
  }
  if (DECIMAL.test(value)) return NUMERIC;
  if (BOOLEAN.test(value)) return BOOL;
  let match = DATE.exec(value);
  if (match) {
    return isDate(match[1], match[2], match[3]) ? DATE_ONLY | TIMESTAMPTZ : 0;
  }
  match = TIMESTAMP.exec(value);
  if (match && isDate(match[1], match[2], match[3])) {
    const hour = Number(match[4]);
    const minute = Number(match[5]);
    const second = Number(match[6] ?? 0);
    if (hour <= 23 && minute <= 59 && second <= 60) return TIMESTAMPTZ;
  }
  return 0;
}

function isDate(year: string, month: string, day: string): boolean {
  const y = Number(year);
  const m = Number(month);
  const d = Number(day);
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return d <= days[m - 1];
}
