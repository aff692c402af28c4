// Incremental reads of a file: a file has no index to ask, so every record is
// read and only those past the cursor are passed on.

import { SchemaError } from "../errors.ts";
import type { ReadCursor, RecordBatch } from "../types.ts";

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

/**
 * Passes on only the rows whose `cursor.field` is greater than
 * `cursor.after` (all rows when `after` is null). Numbers and numeric text
 * compare as numbers, anything else (ISO timestamps) as text; a null value
 * is never past the cursor. A missing field is a `SchemaError`.
 */
export async function* rowsAfterCursor(
  batches: AsyncIterable<RecordBatch>,
  cursor: ReadCursor,
  what: string,
): AsyncGenerator<RecordBatch> {
  const after = cursor.after;
  for await (const batch of batches) {
    if (after === null || after === undefined) {
      yield batch;
      continue;
    }
    const index = batch.columns.findIndex((column) =>
      column.name === cursor.field
    );
    if (index === -1) {
      throw new SchemaError(
        `Cannot read ${what}: the cursor field ${
          JSON.stringify(cursor.field)
        } is not a column (columns: ${
          batch.columns.map((column) => column.name).join(", ")
        })`,
      );
    }
    const rows = batch.rows.filter((row) => isAfter(row[index], after));
    yield { columns: batch.columns, rows };
  }
}

/** Whether `value` is past the cursor value `after`. */
export function isAfter(value: unknown, after: string | number): boolean {
  if (value === null || value === undefined) return false;
  const text = value instanceof Date ? value.toISOString() : String(value);
  const bound = String(after);
  if (INTEGER.test(text) && INTEGER.test(bound)) {
    return BigInt(text) > BigInt(bound);
  }
  if (NUMBER.test(text) && NUMBER.test(bound)) {
    return Number(text) > Number(bound);
  }
  return text > bound;
}
