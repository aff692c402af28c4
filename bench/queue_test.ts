import assert from "node:assert/strict";
import { parseQueueArgs } from "./queue.ts";
import { percentile } from "./lib/queue_stats.ts";

Deno.test("parseQueueArgs() defaults to 20,000 jobs and 200 latency samples", () => {
  assert.deepEqual(parseQueueArgs([]), {
    jobs: 20_000,
    samples: 200,
    rounds: 3,
  });
  assert.deepEqual(
    parseQueueArgs(["--jobs=2_000", "--samples", "20", "--rounds", "1"]),
    { jobs: 2_000, samples: 20, rounds: 1 },
  );
});

Deno.test("parseQueueArgs() refuses bad counts and unknown flags", () => {
  assert.throws(() => parseQueueArgs(["--jobs", "0"]), /not a positive/);
  assert.throws(() => parseQueueArgs(["--samples"]), /not a positive/);
  assert.throws(() => parseQueueArgs(["--fast"]), /unknown argument "--fast"/);
});

Deno.test("percentile() takes the nearest rank", () => {
  const values = [5, 1, 4, 2, 3];
  assert.equal(percentile(values, 50), 3);
  assert.equal(percentile(values, 95), 5);
  assert.equal(percentile(values, 0), 1);
  assert.ok(Number.isNaN(percentile([], 50)));
});
