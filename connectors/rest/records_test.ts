import assert from "node:assert/strict";
import { DataError } from "../errors.ts";
import {
  asRecord,
  EXTRA_COLUMN,
  inferColumns,
  isAfter,
  rowMaker,
} from "./records.ts";

Deno.test("inferColumns() types each key from its non-null values", () => {
  const columns = inferColumns([
    { id: 1, price: 2.5, ok: true, tags: ["a"], at: "2024-01-01T00:00:00Z" },
    { id: 2, price: 3, ok: null, meta: { x: 1 }, mixed: "a", none: null },
    { id: 3, price: null, mixed: 1 },
  ]);
  assert.deepEqual(columns, [
    { name: "id", type: "bigint" },
    { name: "price", type: "double" },
    { name: "ok", type: "boolean" },
    { name: "tags", type: "json" },
    { name: "at", type: "text" },
    { name: "meta", type: "json" },
    { name: "mixed", type: "text" },
    { name: "none", type: "text" },
    { name: EXTRA_COLUMN, type: "json" },
  ]);
});

Deno.test("inferColumns() keeps integers beyond 2^53 out of bigint", () => {
  const [column] = inferColumns([{ n: 1 }, { n: 2 ** 60 }]);
  assert.deepEqual(column, { name: "n", type: "double" });
});

Deno.test("rowMaker() puts keys first seen later in _extra", () => {
  const columns = inferColumns([{ id: 1, name: "a" }]);
  const toRow = rowMaker(columns);
  assert.deepEqual(toRow({ id: 1, name: "a" }), [1, "a", null]);
  assert.deepEqual(toRow({ name: "b", zip: "007", id: 2 }), [2, "b", {
    zip: "007",
  }]);
  assert.deepEqual(toRow({ id: 3 }), [3, null, null]);
});

Deno.test("rowMaker() keeps a record's own _extra key inside the _extra column", () => {
  const columns = inferColumns([{ id: 1, _extra: "x" }]);
  assert.deepEqual(columns.map((c) => c.name), ["id", EXTRA_COLUMN]);
  assert.deepEqual(rowMaker(columns)({ id: 1, _extra: "x" }), [1, {
    _extra: "x",
  }]);
});

Deno.test("rowMaker() turns any value of a text column into text", () => {
  const toRow = rowMaker(inferColumns([{ v: "a" }]));
  assert.deepEqual(toRow({ v: 5 }), ["5", null]);
  assert.deepEqual(toRow({ v: { a: 1 } }), ['{"a":1}', null]);
  assert.deepEqual(toRow({ v: false }), ["false", null]);
});

Deno.test("isAfter() compares numbers numerically and strings as text", () => {
  assert.equal(isAfter(10, 9), true);
  assert.equal(isAfter(10, "9"), true);
  assert.equal(isAfter(9, "10"), false);
  assert.equal(isAfter(9, 9), false);
  assert.equal(isAfter("2024-02-01T00:00:00Z", "2024-01-31T23:59:59Z"), true);
  assert.equal(isAfter("2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z"), false);
  assert.equal(isAfter(null, 1), false);
  assert.equal(isAfter(undefined, null), false);
  assert.equal(isAfter(0, null), true);
});

Deno.test("asRecord() refuses a record that is not an object, naming its number", () => {
  assert.deepEqual(asRecord({ a: 1 }, "x", 0), { a: 1 });
  for (
    const [value, kind] of [[[1], "an array"], [null, "null"], [3, "a number"]]
  ) {
    assert.throws(
      () => asRecord(value, '"https://h/x" (page 2)', 4),
      (error) => {
        assert.ok(error instanceof DataError);
        assert.equal(
          error.message,
          `Cannot read records of "https://h/x" (page 2): record 5 is ${kind}, not an object`,
        );
        assert.equal(error.row, 5);
        return true;
      },
    );
  }
});
