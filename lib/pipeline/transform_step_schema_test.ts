import assert from "node:assert/strict";
import { loadPipelineText } from "./pipeline_loader.ts";
import type { FieldError } from "../api/problem.ts";

const YAML = `name: enrich_orders
steps:
  - id: orders
    type: extract
    connector: files
    config: { path: orders.csv }
  - id: enrich
    type: transform
    needs: [orders]
    code: |
      export default (row, ctx) => ({ ...row, total: row.qty * row.price })
    allow_net: [api.example.com, "127.0.0.1:8080"]
    memory_mb: 256
`;

function errorsOf(text: string): FieldError[] {
  const result = loadPipelineText(text, "yaml");
  assert.equal(result.ok, false, "expected errors");
  return (result as { errors: FieldError[] }).errors;
}

Deno.test("a transform step defaults to TypeScript in row mode", () => {
  const result = loadPipelineText(YAML, "yaml");
  assert.ok(result.ok);
  const step = result.definition.steps[1];
  assert.equal(step.type, "transform");
  if (step.type !== "transform") return;
  assert.equal(step.language, "typescript");
  assert.equal(step.mode, "row");
  assert.deepEqual(step.allow_net, ["api.example.com", "127.0.0.1:8080"]);
  assert.equal(step.memory_mb, 256);
});

Deno.test("a transform step's bad settings are reported at their line", () => {
  const text = YAML.replace("memory_mb: 256", "memory_mb: 8")
    .replace("api.example.com,", '"https://api.example.com",')
    .replace("needs: [orders]", "needs: []");
  const errors = errorsOf(text);
  const byField = Object.fromEntries(errors.map((e) => [e.field, e]));
  assert.match(byField["steps.1.memory_mb"].message, /32/);
  assert.equal(byField["steps.1.memory_mb"].line, 13);
  assert.equal(
    byField["steps.1.allow_net.0"].message,
    "must be a host name or address, with an optional :port",
  );
  assert.equal(byField["steps.1.allow_net.0"].line, 12);
  assert.equal(
    byField["steps.1.needs"].message,
    'transform step "enrich" must need exactly one step to read from',
  );
});
