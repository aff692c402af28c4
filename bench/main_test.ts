import assert from "node:assert/strict";
import { listBenchmarks } from "./main.ts";
import { parseCsvToPgArgs } from "./csv_to_pg.ts";

Deno.test("listBenchmarks() lists bench/<name>.ts files but not main, tests or helpers", async () => {
  const names = await listBenchmarks();
  assert.ok(names.includes("csv_to_pg"));
  assert.ok(!names.includes("main"));
  assert.ok(!names.some((name) => name.endsWith("_test")));
  assert.ok(!names.includes("bench_csv"));
});

Deno.test("parseCsvToPgArgs() reads --rows in both spellings and refuses unknown flags", () => {
  assert.deepEqual(parseCsvToPgArgs([]), { rows: 1_000_000, verbose: false });
  assert.equal(parseCsvToPgArgs(["--rows", "200000"]).rows, 200_000);
  assert.equal(parseCsvToPgArgs(["--rows=1_000"]).rows, 1_000);
  assert.throws(
    () => parseCsvToPgArgs(["--rows", "0"]),
    /not a positive row count/,
  );
  assert.throws(() => parseCsvToPgArgs(["--rows"]), /not a positive row count/);
  assert.throws(
    () => parseCsvToPgArgs(["--fast"]),
    /unknown argument "--fast"/,
  );
});
