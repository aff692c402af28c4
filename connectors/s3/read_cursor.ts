// Incremental reads of S3 objects. The cursor field "_last_modified" skips
// whole objects not modified after the cursor, and adds the object's time as
// a column so the engine can remember the largest one; any other field is a
// record column, filtered here because S3 cannot filter records.

import { SchemaError } from "../errors.ts";
import type { ReadCursor, RecordBatch } from "../types.ts";

/** The cursor field that means "the object's last-modified time". */
export const LAST_MODIFIED = "_last_modified";

/** A read's cursor, checked once before any object is listed. */
export interface ObjectCursor {
  /** Only objects modified strictly after this are read. */
  modifiedAfter?: Date;
  /** A record column whose value must exceed `after`. */
  field?: string;
  after?: string | number;
  /** Add `_last_modified` to every row. */
  addLastModified: boolean;
}

/** Validates `cursor`; an `after` that is no date is a `TypeError`. */
export function objectCursor(cursor: ReadCursor | undefined): ObjectCursor {
  if (cursor === undefined) return { addLastModified: false };
  const after = cursor.after ?? undefined;
  if (cursor.field !== LAST_MODIFIED) {
    return { field: cursor.field, after, addLastModified: false };
  }
  if (after === undefined) return { addLastModified: true };
  const modifiedAfter = new Date(after);
  if (Number.isNaN(modifiedAfter.getTime())) {
    throw new TypeError(
      `Cannot read S3 incrementally: cursor "${LAST_MODIFIED}" needs an ISO date, received ${
        JSON.stringify(after)
      }`,
    );
  }
  return { modifiedAfter, addLastModified: true };
}

/**
 * Keeps the rows of `batch` past the record cursor (nulls never are) and
 * adds the object's last-modified time when the cursor asks for it.
 */
export function applyCursor(
  batch: RecordBatch,
  cursor: ObjectCursor,
  object: { shown: string; lastModified: Date },
): RecordBatch {
  let { columns, rows } = batch;
  if (cursor.field !== undefined) {
    const index = columns.findIndex((column) => column.name === cursor.field);
    if (index === -1) {
      throw new SchemaError(
        `Cannot read ${object.shown} incrementally: no column ${
          JSON.stringify(cursor.field)
        } (columns: ${columns.map((column) => column.name).join(", ")})`,
      );
    }
    const after = cursor.after;
    if (after !== undefined) {
      rows = rows.filter((row) => isAfter(row[index], after));
    }
  }
  if (
    cursor.addLastModified &&
    !columns.some((column) => column.name === LAST_MODIFIED)
  ) {
    const time = object.lastModified.toISOString();
    columns = [...columns, { name: LAST_MODIFIED, type: "timestamptz" }];
    rows = rows.map((row) => [...row, time]);
  }
  return { columns, rows };
}

const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * `value > after` as the engine compares cursors: numbers (and numeric text,
 * as CSV gives) by value, anything else (ISO dates) as text.
 */
export function isAfter(value: unknown, after: string | number): boolean {
  if (value === null || value === undefined) return false;
  const shown = value instanceof Date ? value.toISOString() : value;
  const left = String(shown);
  const right = String(after);
  if (INTEGER.test(left) && INTEGER.test(right)) {
    return BigInt(left) > BigInt(right);
  }
  if (DECIMAL.test(left) && DECIMAL.test(right)) {
    return Number(left) > Number(right);
  }
  return left > right;
}
