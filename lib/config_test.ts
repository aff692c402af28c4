import assert from "node:assert/strict";
import { loadConfig } from "./config.ts";

Deno.test("loadConfig() reads ETL_SCHEDULER_TICK_SECONDS, unset by default", () => {
  assert.equal(loadConfig({}).schedulerTickSeconds, undefined);
  assert.equal(
    loadConfig({ ETL_SCHEDULER_TICK_SECONDS: "5" }).schedulerTickSeconds,
    5,
  );
});

Deno.test("loadConfig() refuses a tick that is not a whole number of seconds, with the fix", () => {
  for (const bad of ["0", "1.5", "soon", "-3"]) {
    assert.throws(
      () => loadConfig({ ETL_SCHEDULER_TICK_SECONDS: bad }),
      new RegExp(
        `ETL_SCHEDULER_TICK_SECONDS "${bad}" is not a whole number of seconds, set it to e\\.g\\. 10`,
      ),
    );
  }
});
