import assert from "node:assert/strict";
import { linearPipeline, parseDag40Args, PUBLISHED } from "./dag40.ts";
import { pipelineSchema } from "../lib/pipeline/pipeline_schema.ts";

Deno.test("linearPipeline() chains N extract steps, each needing the previous one", () => {
  const pipeline = pipelineSchema.parse(linearPipeline(40));
  assert.equal(pipeline.steps.length, 40);
  assert.deepEqual(pipeline.steps[0].needs, []);
  assert.deepEqual(pipeline.steps[39].needs, ["s39"]);
  assert.equal(pipeline.steps[39].id, "s40");
});

Deno.test("parseDag40Args() reads steps, runs and backend, and refuses the rest", () => {
  assert.deepEqual(parseDag40Args([]), {
    steps: 40,
    runs: 5,
    backends: ["postgres", "pglite"],
    verbose: false,
  });
  assert.deepEqual(parseDag40Args(["--backend", "pglite", "--runs=2"]), {
    steps: 40,
    runs: 2,
    backends: ["pglite"],
    verbose: false,
  });
  assert.throws(() => parseDag40Args(["--backend", "sqlite"]), /not postgres/);
  assert.throws(() => parseDag40Args(["--steps", "0"]), /positive integer/);
  assert.throws(() => parseDag40Args(["--x"]), /unknown argument "--x"/);
});

Deno.test("dag40 prints one baseline per published anchor, each with its source", () => {
  assert.deepEqual(PUBLISHED.map((p) => p.name), [
    "dag40/windmill-published",
    "dag40/hatchet-published",
    "dag40/temporal-published",
    "dag40/airflow-published",
  ]);
  assert.ok(PUBLISHED.every((p) => p.seconds > 0 && p.source.length > 0));
});
