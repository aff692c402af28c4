import assert from "node:assert/strict";
import { parseTransformArgs } from "./transform.ts";

Deno.test("parseTransformArgs() defaults to 1,000,000 rows and reads --rows", () => {
  assert.deepEqual(parseTransformArgs([]), { rows: 1_000_000 });
  assert.equal(parseTransformArgs(["--rows", "5000"]).rows, 5000);
  assert.equal(parseTransformArgs(["--rows=2_000"]).rows, 2000);
});

Deno.test("parseTransformArgs() refuses bad row counts and unknown flags", () => {
  for (const args of [["--rows", "0"], ["--rows"], ["--rows", "1e6"]]) {
    assert.throws(() => parseTransformArgs(args), /not a positive row count/);
  }
  assert.throws(() => parseTransformArgs(["--fast"]), /unknown argument/);
});
