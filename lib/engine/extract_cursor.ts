// Incremental extracts: the stored cursor of a step, the largest value seen
// while reading, and advancing the cursor once the run has succeeded.

import type { Queryable } from "../db/db.ts";
import type { RecordBatch } from "../../connectors/types.ts";

/** A cursor value as stored: numbers compare as numbers, others as ISO/text. */
export type CursorValue = string | number;

/** The value the last successful run of `stepKey` reached, or null. */
export async function loadCursor(
  db: Queryable,
  pipelineId: number,
  stepKey: string,
): Promise<CursorValue | null> {
  const [row] = await db.query<{ value: CursorValue }>(
    "select value from extract_cursor where pipeline_id = $1 and step_key = $2",
    [pipelineId, stepKey],
  );
  return row?.value ?? null;
}

/** Normalizes a record value for cursor comparison; null when it has none. */
export function cursorValueOf(value: unknown): CursorValue | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "number" || typeof value === "string") return value;
  if (typeof value === "bigint") return Number(value);
  return String(value);
}

function greater(a: CursorValue, b: CursorValue): boolean {
  if (typeof a === "number" && typeof b === "number") return a > b;
  // Integer-looking strings (bigint columns read as text) compare by value.
  if (/^-?\d+$/.test(String(a)) && /^-?\d+$/.test(String(b))) {
    return BigInt(a) > BigInt(b);
  }
  return String(a) > String(b);
}

/** Passes batches through while tracking the largest value of `field`. */
export function trackCursor(
  batches: AsyncIterable<RecordBatch>,
  field: string,
): { batches: AsyncGenerator<RecordBatch>; max(): CursorValue | null } {
  let max: CursorValue | null = null;
  async function* tracked() {
    for await (const batch of batches) {
      const index = batch.columns.findIndex((c) => c.name === field);
      if (index === -1 && batch.rows.length > 0) {
        throw new Error(
          `Cannot track cursor: the records have no field "${field}" (fields: ${
            batch.columns.map((c) => c.name).join(", ")
          })`,
        );
      }
      for (const row of batch.rows) {
        const value = cursorValueOf(row[index]);
        if (value !== null && (max === null || greater(value, max))) {
          max = value;
        }
      }
      yield batch;
    }
  }
  return { batches: tracked(), max: () => max };
}

/** Copies the cursor values of a succeeded run's extracts into extract_cursor. */
export async function advanceCursors(
  tx: Queryable,
  runId: number,
): Promise<void> {
  await tx.query(
    `insert into extract_cursor (pipeline_id, step_key, value)
     select r.pipeline_id, t.step_key, t.cursor_value
     from task_run t join pipeline_run r on r.id = t.pipeline_run_id
     where t.pipeline_run_id = $1 and t.cursor_value is not null
     on conflict (pipeline_id, step_key) do update
       set value = excluded.value, updated_at = now()`,
    [runId],
  );
}
