import assert from "node:assert/strict";
import { pipelineSchema } from "./pipeline_schema.ts";

const valid = {
  name: "csv_to_sales",
  steps: [
    {
      id: "read",
      type: "extract",
      connector: "files",
      config: { path: "a.csv" },
    },
    {
      id: "load",
      type: "load",
      needs: ["read"],
      connector: "warehouse",
      config: { table: "sales" },
    },
  ],
};

Deno.test("pipelineSchema accepts an extract → load pipeline and fills defaults", () => {
  const parsed = pipelineSchema.parse(valid);
  assert.equal(parsed.steps[1].type, "load");
  assert.deepEqual(parsed.steps[0].needs, []);
  if (parsed.steps[1].type === "load") {
    assert.equal(parsed.steps[1].config.mode, "append");
  }
});

Deno.test("pipelineSchema names the step and path of an unknown need", () => {
  const result = pipelineSchema.safeParse({
    ...valid,
    steps: [valid.steps[0], { ...valid.steps[1], needs: ["clean"] }],
  });
  assert.equal(result.success, false);
  const issue = result.error!.issues.find((i) => i.message.includes("clean"))!;
  assert.equal(issue.message, 'step "load" needs unknown step "clean"');
  assert.deepEqual(issue.path, ["steps", 1, "needs", 0]);
});

Deno.test("pipelineSchema reports a cycle with the steps in it", () => {
  const result = pipelineSchema.safeParse({
    name: "loop",
    steps: [
      { id: "a", type: "extract", connector: "files", needs: ["b"] },
      { id: "b", type: "extract", connector: "files", needs: ["a"] },
    ],
  });
  assert.equal(result.success, false);
  assert.ok(
    result.error!.issues.some((i) =>
      i.message === "steps form a cycle: a → b → a"
    ),
  );
});

Deno.test("pipelineSchema refuses unknown fields and bad names", () => {
  assert.equal(
    pipelineSchema.safeParse({ ...valid, colour: "red" }).success,
    false,
  );
  assert.equal(
    pipelineSchema.safeParse({ ...valid, name: "Bad Name" }).success,
    false,
  );
});
