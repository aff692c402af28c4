// Maps the platform's column types to MySQL / MariaDB types and back, from
// information_schema (discover) and from result-set metadata (read), and
// turns the few driver values that need it into the platform's values.

import type { ColumnType } from "../types.ts";

/** Result-set column metadata as mysql2 reports it (the fields we use). */
export interface MysqlField {
  name: string;
  columnType: number;
  columnLength: number;
  flags: number;
  characterSet: number;
  /** MariaDB extended metadata: "json" for its JSON alias of LONGTEXT. */
  extendedFormat?: string;
}

// Protocol column type codes (include/mysql_com.h `enum_field_types`).
const T = {
  DECIMAL: 0,
  TINY: 1,
  SHORT: 2,
  LONG: 3,
  FLOAT: 4,
  DOUBLE: 5,
  TIMESTAMP: 7,
  LONGLONG: 8,
  INT24: 9,
  DATE: 10,
  DATETIME: 12,
  YEAR: 13,
  NEWDATE: 14,
  BIT: 16,
  JSON: 245,
  NEWDECIMAL: 246,
  GEOMETRY: 255,
} as const;
const UNSIGNED_FLAG = 32;
const BINARY_CHARSET = 63;

const TO_MYSQL: Record<ColumnType, string> = {
  text: "longtext",
  bigint: "bigint",
  double: "double",
  // The platform's numeric has no declared scale: the widest exact decimal.
  numeric: "decimal(65,30)",
  boolean: "tinyint(1)",
  date: "date",
  // datetime, not timestamp: no 2038 limit, no session time zone shift.
  timestamptz: "datetime(6)",
  json: "json",
};

/**
 * The MySQL type a column of `type` is created with. Key columns of type
 * text become varchar(255): TEXT columns cannot be in a unique index
 * without a prefix, and a prefix would make the key non-unique.
 */
export function mysqlTypeOf(type: ColumnType, options: { key?: boolean } = {}) {
  if (type === "text" && options.key) return "varchar(255)";
  return TO_MYSQL[type] ?? "longtext";
}

/**
 * The platform type of a column as information_schema describes it:
 * `dataType` is DATA_TYPE (`int`), `columnType` is COLUMN_TYPE
 * (`tinyint(1)`, `bigint(20) unsigned`); `json` is true for MariaDB's JSON
 * alias (a LONGTEXT with a json_valid check).
 */
export function columnTypeFromMysql(
  dataType: string,
  columnType: string,
  json = false,
): ColumnType {
  const data = dataType.toLowerCase();
  const full = columnType.toLowerCase();
  if (json || data === "json") return "json";
  if (/^(tinyint|bit)\(1\)/.test(full)) return "boolean";
  if (data === "bigint" && full.includes("unsigned")) return "numeric";
  switch (data) {
    case "tinyint":
    case "smallint":
    case "mediumint":
    case "int":
    case "integer":
    case "bigint":
    case "year":
    case "bit":
      return "bigint";
    case "float":
    case "double":
    case "real":
      return "double";
    case "decimal":
    case "numeric":
      return "numeric";
    case "date":
      return "date";
    case "datetime":
    case "timestamp":
      return "timestamptz";
  }
  return "text";
}

/** The platform type of a result-set column. */
export function columnTypeOfField(field: MysqlField): ColumnType {
  if (field.extendedFormat === "json") return "json";
  switch (field.columnType) {
    case T.TINY:
      // tinyint(1) is MySQL's boolean: the display width survives in metadata.
      return field.columnLength === 1 ? "boolean" : "bigint";
    case T.BIT:
      return field.columnLength === 1 ? "boolean" : "bigint";
    case T.LONGLONG:
      return field.flags & UNSIGNED_FLAG ? "numeric" : "bigint";
    case T.SHORT:
    case T.LONG:
    case T.INT24:
    case T.YEAR:
      return "bigint";
    case T.FLOAT:
    case T.DOUBLE:
      return "double";
    case T.DECIMAL:
    case T.NEWDECIMAL:
      return "numeric";
    case T.DATE:
    case T.NEWDATE:
      return "date";
    case T.DATETIME:
    case T.TIMESTAMP:
      return "timestamptz";
    case T.JSON:
      return "json";
  }
  return "text";
}

type Convert = (value: unknown) => unknown;

const toBoolean: Convert = (v) =>
  v === null ? null : typeof v === "number" ? v !== 0 : bitsToNumber(v) !== 0;
const bitsToBigint: Convert = (v) => v === null ? null : bitsToNumber(v);
// Binary strings and geometry arrive as Buffers: hex keeps them lossless text.
const bufferToHex: Convert = (v) =>
  v instanceof Uint8Array ? `\\x${bytesToHex(v)}` : v;

/**
 * A function that converts the rows of a result with `fields` in place
 * (booleans, BIT, binary), or undefined when the driver's values already
 * are the platform's: strings, numbers, exact decimal strings, Dates, JSON.
 */
export function rowConverter(
  fields: MysqlField[],
): ((rows: unknown[][]) => void) | undefined {
  const steps: [number, Convert][] = [];
  fields.forEach((field, i) => {
    const type = columnTypeOfField(field);
    if (type === "boolean") steps.push([i, toBoolean]);
    else if (field.columnType === T.BIT) steps.push([i, bitsToBigint]);
    else if (
      type === "text" &&
      (field.characterSet === BINARY_CHARSET ||
        field.columnType === T.GEOMETRY)
    ) steps.push([i, bufferToHex]);
  });
  if (steps.length === 0) return undefined;
  return (rows) => {
    for (const row of rows) {
      for (const [i, convert] of steps) row[i] = convert(row[i]);
    }
  };
}

function bitsToNumber(value: unknown): number {
  if (!(value instanceof Uint8Array)) return Number(value);
  let n = 0;
  for (const byte of value) n = n * 256 + byte;
  return n;
}

function bytesToHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

const identity: Convert = (v) => v;
const TRUE_TEXT = new Set(["t", "true", "1", "yes", "y", "on"]);
const FALSE_TEXT = new Set(["f", "false", "0", "no", "n", "off"]);
// An instant with a zone: MySQL's datetime literal has none, so it goes as a Date.
const ZONED =
  /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?\s*(Z|[+-]\d\d(:?\d\d)?)$/i;

/**
 * How a value of platform type `type` is bound in an INSERT. Most values go
 * as they are (the driver binds Dates in UTC and objects as JSON); text from
 * text-based sources (CSV) is adapted where MySQL would reject it.
 */
export function toMysqlValue(type: ColumnType): Convert {
  switch (type) {
    case "boolean":
      return (v) => {
        if (typeof v !== "string") return v;
        const text = v.trim().toLowerCase();
        return TRUE_TEXT.has(text) ? 1 : FALSE_TEXT.has(text) ? 0 : v;
      };
    case "timestamptz":
      return (v) => typeof v === "string" && ZONED.test(v) ? new Date(v) : v;
    case "json":
      // A string is JSON text already (as the PostgreSQL writer takes it).
      return (v) => v === null || typeof v === "string" ? v : JSON.stringify(v);
    case "bigint":
    case "numeric":
      // Exact: a JS number would be bound as a double.
      return (v) => typeof v === "bigint" ? v.toString() : v;
  }
  return identity;
}
