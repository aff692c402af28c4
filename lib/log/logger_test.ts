import assert from "node:assert/strict";
import { Logger } from "./logger.ts";

Deno.test("Logger writes one JSON object a line with level, time, msg and fields", () => {
  const lines: string[] = [];
  const log = new Logger({ sink: (line) => lines.push(line) }).child({
    run_id: 7,
  });
  log.info("step started", { task_run_id: 3 });
  log.debug("hidden below info");
  assert.equal(lines.length, 1);
  const entry = JSON.parse(lines[0]);
  assert.equal(entry.level, "info");
  assert.equal(entry.msg, "step started");
  assert.equal(entry.run_id, 7);
  assert.equal(entry.task_run_id, 3);
  assert.ok(!Number.isNaN(Date.parse(entry.time)));
});

Deno.test("Logger writes an Error field as its message, not its stack", () => {
  const lines: string[] = [];
  new Logger({ sink: (line) => lines.push(line) }).error("failed", {
    error: new Error("boom"),
  });
  assert.equal(JSON.parse(lines[0]).error, "boom");
});
