// How an http step turns a response body into rows.

import assert from "node:assert/strict";
import { responseRows } from "./http_step.ts";

Deno.test("responseRows() makes rows of an array of objects, one of an object, else {status, body}", () => {
  const many = responseRows(200, '[{"id": 1, "a": "x"}, {"id": 2, "b": true}]');
  assert.deepEqual(many.columns.map((c) => `${c.name}:${c.type}`), [
    "id:bigint",
    "a:text",
    "b:boolean",
  ]);
  assert.deepEqual(many.rows, [[1, "x", null], [2, null, true]]);

  const one = responseRows(201, '{"ok": true, "n": 1.5}');
  assert.deepEqual(one.rows, [[true, 1.5]]);

  for (const body of ["plain text", "[1, 2]", "42", ""]) {
    const other = responseRows(202, body);
    assert.deepEqual(other.columns.map((c) => c.name), ["status", "body"]);
    assert.deepEqual(other.rows, [[202, body]]);
  }
  assert.deepEqual(responseRows(200, "[]").rows, []);
});
