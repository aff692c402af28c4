import assert from "node:assert/strict";
import type { RecordBatch } from "../types.ts";
import { isAfter, rowsAfterCursor } from "./read_cursor.ts";

Deno.test("isAfter() compares numbers as numbers and other values as text", () => {
  assert.equal(isAfter("10", "9"), true);
  assert.equal(isAfter(9, 10), false);
  assert.equal(isAfter("12.50", 12.5), false);
  assert.equal(isAfter("9007199254740993", "9007199254740992"), true);
  assert.equal(isAfter("2024-02-01", "2024-01-31T23:00:00Z"), true);
  assert.equal(isAfter(new Date("2024-01-01T00:00:00Z"), "2024-01-01"), true);
  assert.equal(isAfter(null, 0), false);
});

Deno.test("rowsAfterCursor() keeps the columns of batches that lose every row", async () => {
  const columns = [{ name: "n", type: "bigint" as const }];
  async function* batches(): AsyncGenerator<RecordBatch> {
    yield { columns, rows: [[1], [2]] };
    yield { columns, rows: [[3], [null]] };
  }
  const result = await Array.fromAsync(
    rowsAfterCursor(batches(), { field: "n", after: 2 }, 'CSV "n.csv"'),
  );
  assert.deepEqual(result, [
    { columns, rows: [] },
    { columns, rows: [[3]] },
  ]);
});
