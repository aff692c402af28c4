import assert from "node:assert/strict";
import { parse } from "yaml";
import { pipelineToJson, pipelineToYaml } from "./pipeline_text.ts";

const definition = {
  steps: [
    {
      config: { table: "t", mode: "append" },
      needs: ["read"],
      type: "load",
      id: "load",
      connector: "warehouse",
    },
  ],
  name: "daily",
  description: "x",
};

Deno.test("pipelineToYaml() orders keys as users write them and round-trips", () => {
  const yaml = pipelineToYaml(definition);
  assert.equal(
    yaml,
    [
      "name: daily",
      "description: x",
      "steps:",
      "  - id: load",
      "    type: load",
      "    needs:",
      "      - read",
      "    connector: warehouse",
      "    config:",
      "      mode: append",
      "      table: t",
      "",
    ].join("\n"),
  );
  assert.deepEqual(parse(yaml), JSON.parse(pipelineToJson(definition)));
});

Deno.test("pipelineToJson() is stable whatever the input key order", () => {
  const shuffled = {
    description: "x",
    name: "daily",
    steps: [{
      id: "load",
      connector: "warehouse",
      type: "load",
      needs: ["read"],
      config: { mode: "append", table: "t" },
    }],
  };
  assert.equal(pipelineToJson(shuffled), pipelineToJson(definition));
});
