import assert from "node:assert/strict";
import { formatDuration, parseDuration } from "./duration.ts";

Deno.test("parseDuration() reads unit-suffixed durations and refuses the rest", () => {
  assert.equal(parseDuration("90s"), 90_000);
  assert.equal(parseDuration("10m"), 600_000);
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("2d"), 172_800_000);
  assert.equal(parseDuration("500ms"), 500);
  for (const bad of ["", "10", "m", "1.5h", "10 minutes", "-1s", "1h 30m"]) {
    assert.equal(parseDuration(bad), null, bad);
  }
});

Deno.test("formatDuration() writes the shortest unit-suffixed form", () => {
  assert.equal(formatDuration(600_000), "10m");
  assert.equal(formatDuration(5_400_000), "1h30m");
  assert.equal(formatDuration(1000), "1s");
  assert.equal(formatDuration(250), "250ms");
  assert.equal(formatDuration(90_061_000), "1d1h1m1s");
});
