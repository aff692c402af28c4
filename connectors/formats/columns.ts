// Records (parsed JSON objects) to record batches: column types guessed from
// a first batch, then every later record held to those columns, so a target
// table created from the first batch accepts every row or the error names the
// line that does not fit.

import { DataError } from "../errors.ts";
import type { Column, ColumnType, RecordBatch } from "../types.ts";

/** A record as parsed from JSON: field name to value. */
export type JsonRecord = Record<string, unknown>;

// Kinds of value seen in a column, as bits.
const BOOL = 1;
const INT = 2;
const FLOAT = 4;
const STRING = 8;
const OBJECT = 16;

/**
 * Columns of `records`: every field in order of first appearance, typed
 * `boolean`, `bigint` (safe integers), `double` (other numbers, or integers
 * mixed with fractions), `text` (strings, ISO dates included), `json`
 * (objects and arrays). Nulls are ignored; an all-null column is `text`, and
 * so is any other mix of kinds (numbers and strings, say).
 */
export function inferRecordColumns(records: JsonRecord[]): Column[] {
  const kinds = new Map<string, number>();
  for (const record of records) {
    for (const name in record) {
      kinds.set(name, (kinds.get(name) ?? 0) | kindOf(record[name]));
    }
  }
  return [...kinds].map(([name, seen]) => ({ name, type: typeOf(seen) }));
}

function kindOf(value: unknown): number {
  switch (typeof value) {
    case "boolean":
      return BOOL;
    case "number":
      return Number.isSafeInteger(value) ? INT : FLOAT;
    case "bigint":
      return INT;
    case "string":
      return STRING;
    case "object":
      return value === null ? 0 : OBJECT;
    default:
      return STRING;
  }
}

function typeOf(seen: number): ColumnType {
  switch (seen) {
    case BOOL:
      return "boolean";
    case INT:
      return "bigint";
    case FLOAT:
    case INT | FLOAT:
      return "double";
    case OBJECT:
      return "json";
    default:
      return "text";
  }
}

/** Options for {@linkcode recordsToBatch}. */
export interface RecordsToBatchOptions {
  /** Source line of each record, for error messages. */
  lines?: number[];
  /** 1-based number of the first record in the whole source (default 1). */
  firstRow?: number;
  /** The format named in error messages, e.g. "NDJSON". */
  format?: string;
}

// Returned by `convert()` for a value its column's type cannot hold.
const MISFIT = Symbol("misfit");

/**
 * Rows of `records` in `columns` order. A missing field is `null`; a `text`
 * column turns numbers and booleans into strings and objects into JSON. A
 * field not among `columns`, or a value its column's type cannot hold (1.5
 * in a `bigint` column), is a `DataError` naming the field and the line.
 */
export function recordsToBatch(
  records: JsonRecord[],
  columns: Column[],
  options: RecordsToBatchOptions = {},
): RecordBatch {
  const known = new Set(columns.map((column) => column.name));
  const rows: unknown[][] = new Array(records.length);
  for (let r = 0; r < records.length; r++) {
    const record = records[r];
    for (const name in record) {
      if (!known.has(name)) {
        throw misfit(
          options,
          r,
          name,
          `is not among the columns (${
            columns.map((column) => column.name).join(", ")
          }) found in the first batch`,
        );
      }
    }
    const row = new Array(columns.length);
    for (let c = 0; c < columns.length; c++) {
      const { name, type } = columns[c];
      const value = Object.hasOwn(record, name) ? record[name] : null;
      const converted = convert(value, type);
      if (converted === MISFIT) {
        throw misfit(
          options,
          r,
          name,
          `is ${type} (from the first batch) but the value is ${shown(value)}`,
        );
      }
      row[c] = converted;
    }
    rows[r] = row;
  }
  return { columns, rows };
}

function convert(value: unknown, type: ColumnType): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case "text":
      if (typeof value === "string") return value;
      return typeof value === "object" ? JSON.stringify(value) : String(value);
    case "bigint":
      return Number.isSafeInteger(value) || typeof value === "bigint"
        ? value
        : MISFIT;
    case "double":
      return typeof value === "number" ? value : MISFIT;
    case "boolean":
      return typeof value === "boolean" ? value : MISFIT;
    case "json":
      // Loaders write objects as JSON; a bare string would not be JSON.
      return typeof value === "object" ? value : MISFIT;
    default:
      // numeric, date, timestamptz: columns the caller chose; passed through.
      return value;
  }
}

function misfit(
  options: RecordsToBatchOptions,
  index: number,
  field: string,
  detail: string,
): DataError {
  const row = (options.firstRow ?? 1) + index;
  const line = options.lines?.[index];
  const prefix = options.format
    ? `Cannot parse ${options.format}`
    : "Cannot convert records";
  const where = line === undefined ? `record ${row}` : `line ${line}`;
  return new DataError(
    `${prefix}: ${where}: field ${JSON.stringify(field)} ${detail}`,
    { line, row, column: field },
  );
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/**
 * Collects records into batches of `batchSize`: the first batch decides the
 * columns ({@linkcode inferRecordColumns}), later ones must fit them.
 */
export class RecordBatcher {
  #batchSize: number;
  #format: string;
  #records: JsonRecord[] = [];
  #lines: number[] = [];
  #columns: Column[] | undefined;
  #rows = 0;

  constructor(batchSize: number, format: string) {
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
      throw new RangeError(
        `Cannot parse ${format}: batchSize must be a positive integer, received ${batchSize}`,
      );
    }
    this.#batchSize = batchSize;
    this.#format = format;
  }

  /** Adds a record read at `line`; returns a batch when one is full. */
  push(record: JsonRecord, line: number): RecordBatch | undefined {
    this.#records.push(record);
    this.#lines.push(line);
    return this.#records.length >= this.#batchSize ? this.flush() : undefined;
  }

  /** The records collected so far as a batch, or undefined when there are none. */
  flush(): RecordBatch | undefined {
    if (this.#records.length === 0) return undefined;
    this.#columns ??= inferRecordColumns(this.#records);
    const batch = recordsToBatch(this.#records, this.#columns, {
      lines: this.#lines,
      firstRow: this.#rows + 1,
      format: this.#format,
    });
    this.#rows += this.#records.length;
    this.#records = [];
    this.#lines = [];
    return batch;
  }
}
