import assert from "node:assert/strict";
import { parsePgToPgArgs, pipeCommand } from "./pg_to_pg.ts";

Deno.test("parsePgToPgArgs() defaults to 5,000,000 rows and reads --rows in both spellings", () => {
  assert.deepEqual(parsePgToPgArgs([]), { rows: 5_000_000, verbose: false });
  assert.equal(parsePgToPgArgs(["--rows", "1000000"]).rows, 1_000_000);
  assert.equal(parsePgToPgArgs(["--rows=1_000"]).rows, 1_000);
  assert.deepEqual(parsePgToPgArgs(["--verbose", "--rows", "7"]), {
    rows: 7,
    verbose: true,
  });
});

Deno.test("parsePgToPgArgs() refuses bad row counts and unknown flags", () => {
  for (
    const args of [["--rows", "0"], ["--rows"], ["--rows", "1e6"], [
      "--rows=-5",
    ]]
  ) {
    assert.throws(() => parsePgToPgArgs(args), /not a positive row count/);
  }
  assert.throws(() => parsePgToPgArgs(["--fast"]), /unknown argument "--fast"/);
  assert.throws(
    () => parsePgToPgArgs(["--verbose=yes"]),
    /unknown argument "--verbose=yes"/,
  );
});

Deno.test("pipeCommand() copies src to stdout into dst from stdin", () => {
  assert.equal(
    pipeCommand("a", "b"),
    "psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d a -c '\\copy src to stdout' | " +
      "psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d b -c '\\copy dst from stdin'",
  );
});
