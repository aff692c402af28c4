import assert from "node:assert/strict";
import { DataError } from "../errors.ts";
import type { Column, ColumnType } from "../types.ts";
import {
  inferRecordColumns,
  RecordBatcher,
  recordsToBatch,
} from "./columns.ts";

Deno.test("inferRecordColumns() types each field from its non-null values", () => {
  const columns = inferRecordColumns([
    { i: 1, f: 1, b: true, s: "2024-01-01", o: { a: 1 }, n: null },
    { i: -7, f: 2.5, b: false, s: "x", o: [1], n: null, late: "y" },
  ]);
  assert.deepEqual(columns, [
    { name: "i", type: "bigint" },
    { name: "f", type: "double" },
    { name: "b", type: "boolean" },
    { name: "s", type: "text" },
    { name: "o", type: "json" },
    { name: "n", type: "text" },
    { name: "late", type: "text" },
  ]);
});

Deno.test("inferRecordColumns() makes unsafe integers double and mixed kinds text", () => {
  const columns = inferRecordColumns([
    { big: 2 ** 53, mix: 1, obj: { a: 1 } },
    { big: 1, mix: "one", obj: "x" },
  ]);
  assert.deepEqual(columns.map((column) => column.type), [
    "double",
    "text",
    "text",
  ]);
});

Deno.test("recordsToBatch() puts values in column order and fills missing fields with null", () => {
  const columns = inferRecordColumns([{ a: 1, b: "x" }]);
  const batch = recordsToBatch([{ b: "y", a: 2 }, { a: 3 }], columns);
  assert.deepEqual(batch, { columns, rows: [[2, "y"], [3, null]] });
});

Deno.test("recordsToBatch() turns numbers, booleans and objects into text in a text column", () => {
  const columns = [{ name: "t", type: "text" as const }];
  const batch = recordsToBatch(
    [{ t: 5 }, { t: true }, { t: { a: [1] } }, { t: "s" }],
    columns,
  );
  assert.deepEqual(batch.rows, [["5"], ["true"], ['{"a":[1]}'], ["s"]]);
});

Deno.test("recordsToBatch() refuses a value its column's type cannot hold", () => {
  const cases: [ColumnType, unknown][] = [
    ["bigint", 1.5],
    ["bigint", "1"],
    ["double", "1.5"],
    ["boolean", 1],
    ["json", "x"],
  ];
  for (const [type, value] of cases) {
    const columns: Column[] = [{ name: "v", type }];
    assert.throws(
      () =>
        recordsToBatch([{ v: null }, { v: value }], columns, {
          lines: [10, 12],
          firstRow: 5,
          format: "NDJSON",
        }),
      (error) => {
        assert.ok(error instanceof DataError);
        assert.equal(error.line, 12);
        assert.equal(error.row, 6);
        assert.equal(error.column, "v");
        assert.equal(
          error.message,
          `Cannot parse NDJSON: line 12: field "v" is ${type} (from the first batch) but the value is ${
            JSON.stringify(value)
          }`,
        );
        return true;
      },
    );
  }
});

Deno.test("recordsToBatch() names the record when no lines are given", () => {
  assert.throws(
    () => recordsToBatch([{ a: 1 }, { z: 1 }], [{ name: "a", type: "bigint" }]),
    {
      name: "DataError",
      row: 2,
      message:
        'Cannot convert records: record 2: field "z" is not among the columns (a) found in the first batch',
    },
  );
});

Deno.test("RecordBatcher keeps the first batch's columns for later batches", () => {
  const batcher = new RecordBatcher(2, "JSON");
  assert.equal(batcher.push({ n: 1 }, 1), undefined);
  const first = batcher.push({ n: 2 }, 2);
  assert.deepEqual(first?.columns, [{ name: "n", type: "bigint" }]);
  batcher.push({ n: null }, 3);
  assert.deepEqual(batcher.flush(), {
    columns: first?.columns,
    rows: [[null]],
  });
  assert.equal(batcher.flush(), undefined);
  assert.throws(() => new RecordBatcher(0, "JSON"), RangeError);
});
