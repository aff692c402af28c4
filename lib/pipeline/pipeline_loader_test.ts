import assert from "node:assert/strict";
import {
  loadPipelineText,
  MAX_PIPELINE_BYTES,
  MAX_REPORTED_ERRORS,
  positionOf,
} from "./pipeline_loader.ts";
import type { FieldError } from "../api/problem.ts";

const YAML = `name: daily
steps:
  - id: read
    type: extract
    connector: files
    config:
      path: a.csv
  - id: write
    type: load
    needs: [read]
    connector: warehouse
    config:
      table: sales
`;

function errorsOf(text: string, format: "yaml" | "json" = "yaml") {
  const result = loadPipelineText(text, format);
  assert.equal(result.ok, false, "expected errors");
  return (result as { errors: FieldError[] }).errors;
}

Deno.test("loadPipelineText() returns the definition with defaults and keeps the source", () => {
  const result = loadPipelineText(YAML, "yaml");
  assert.ok(result.ok);
  assert.equal(result.definition.description, "");
  assert.deepEqual((result.definition.steps[1] as { config: unknown }).config, {
    table: "sales",
    mode: "append",
  });
  assert.deepEqual(positionOf(result.source, "steps.1.connector"), {
    line: 11,
    column: 16,
  });
  assert.deepEqual(positionOf(result.source, ["steps", 0, "config"]), {
    line: 7,
    column: 7,
  });
  // A field that is not there: its enclosing map.
  assert.deepEqual(positionOf(result.source, "steps.0.config.missing"), {
    line: 7,
    column: 7,
  });
});

Deno.test("loadPipelineText() reports a YAML syntax error with its line and column", () => {
  assert.deepEqual(errorsOf("name: daily\nsteps:\n  - id: [read\n"), [{
    field: "",
    message:
      "Flow sequence in block collection must be sufficiently indented and end with a ]",
    line: 4,
    column: 1,
  }]);
  assert.deepEqual(errorsOf("name: daily\n  description: x\n"), [
    {
      field: "",
      message: "Nested mappings are not allowed in compact mappings",
      line: 1,
      column: 7,
    },
    {
      field: "",
      message: "Implicit keys need to be on a single line",
      line: 1,
      column: 7,
    },
  ]);
});

Deno.test("loadPipelineText() points an unknown field at its key", () => {
  const text = YAML.replace(
    "    connector: files\n",
    "    connector: files\n    retires: 3\n",
  );
  assert.deepEqual(errorsOf(text), [{
    field: "steps.0.retires",
    message: 'unknown field "retires"',
    line: 6,
    column: 5,
  }]);
  assert.deepEqual(errorsOf(`owner: me\n${YAML}`), [{
    field: "owner",
    message: 'unknown field "owner"',
    line: 1,
    column: 1,
  }]);
});

Deno.test("loadPipelineText() reports a wrong type at the value", () => {
  const text = YAML.replace("    needs: [read]\n", "    needs: read\n");
  assert.deepEqual(errorsOf(text), [{
    field: "steps.1.needs",
    message: "Invalid input: expected array, received string",
    line: 10,
    column: 12,
  }]);
});

Deno.test("loadPipelineText() names a missing field at the map that lacks it", () => {
  const text = YAML.replace("      table: sales\n", "      mode: replace\n");
  assert.deepEqual(errorsOf(text), [{
    field: "steps.1.config.table",
    message: 'missing required field "table"',
    line: 13,
    column: 7,
  }]);
  const untyped = YAML.replace("    type: extract\n", "");
  assert.deepEqual(errorsOf(untyped), [{
    field: "steps.0.type",
    message:
      'missing required field "type" (one of "extract", "load", "transform", "sql", "http")',
    line: 3,
    column: 5,
  }]);
});

Deno.test("loadPipelineText() reports an unknown step type at its value", () => {
  const text = YAML.replace("type: extract", "type: extrakt");
  assert.deepEqual(errorsOf(text), [{
    field: "steps.0.type",
    message: 'must be one of "extract", "load", "transform", "sql", "http"',
    line: 4,
    column: 11,
  }]);
});

Deno.test("loadPipelineText() reports duplicate step ids, unknown needs and cycles with positions", () => {
  const unknownNeed = YAML.replace("needs: [read]", "needs: [raed]");
  assert.deepEqual(errorsOf(unknownNeed), [{
    field: "steps.1.needs.0",
    message: 'step "write" needs unknown step "raed"',
    line: 10,
    column: 13,
  }]);
  const cycle = `name: loop
steps:
  - id: a
    type: extract
    connector: files
    needs: [c]
  - id: b
    type: extract
    connector: files
    needs: [a]
  - id: c
    type: extract
    connector: files
    needs: [b]
`;
  assert.deepEqual(errorsOf(cycle), [{
    field: "steps",
    message: "steps form a cycle: a → c → b → a",
    line: 3,
    column: 3,
  }]);
  const duplicate = `name: twice
steps:
  - id: read
    type: extract
    connector: files
  - id: read
    type: extract
    connector: files
`;
  assert.deepEqual(errorsOf(duplicate), [{
    field: "steps.1.id",
    message: 'duplicate step id "read"',
    line: 6,
    column: 9,
  }]);
});

Deno.test("loadPipelineText() reports duplicate keys as errors at the second key", () => {
  const text = YAML.replace(
    "    type: load\n",
    "    type: load\n    type: load\n",
  );
  assert.deepEqual(errorsOf(text), [{
    field: "steps.1.type",
    message: 'duplicate key "type"',
    line: 10,
    column: 5,
  }]);
});

Deno.test("loadPipelineText() lists every error at once, in source order", () => {
  const text = `name: Daily Sales
steps:
  - id: read
    type: extract
    connector: files
    retries: many
    colour: blue
  - id: write
    type: load
    needs: [read]
    connector: warehouse
    config: {}
`;
  assert.deepEqual(errorsOf(text), [
    {
      field: "name",
      message: "must use only a-z, 0-9, _ and -",
      line: 1,
      column: 7,
    },
    {
      field: "steps.0.retries",
      message: "Invalid input: expected number, received string",
      line: 6,
      column: 14,
    },
    {
      field: "steps.0.colour",
      message: 'unknown field "colour"',
      line: 7,
      column: 5,
    },
    {
      field: "steps.1.config.table",
      message: 'missing required field "table"',
      line: 12,
      column: 13,
    },
  ]);
});

Deno.test("loadPipelineText() reads JSON with positions and refuses what is not JSON", () => {
  const definition = {
    name: "daily",
    steps: [{ id: "read", type: "extract", connector: "files", colour: 1 }],
  };
  const json = JSON.stringify(definition, null, 2);
  assert.deepEqual(errorsOf(json, "json"), [{
    field: "steps.0.colour",
    message: 'unknown field "colour"',
    line: 8,
    column: 7,
  }]);
  // YAML that is not JSON.
  assert.deepEqual(errorsOf("name: daily\n", "json"), [{
    field: "",
    message: 'expected a JSON value, found "n"',
    line: 1,
    column: 1,
  }]);
  assert.deepEqual(errorsOf('{\n  "name": "daily",\n  steps: []\n}', "json"), [{
    field: "",
    message: 'expected a double-quoted property name, found "s"',
    line: 3,
    column: 3,
  }]);
  assert.deepEqual(errorsOf('{"name": "a", "name": "b"}', "json"), [
    {
      field: "steps",
      message: 'missing required field "steps"',
      line: 1,
      column: 1,
    },
    {
      field: "name",
      message: 'duplicate key "name"',
      line: 1,
      column: 15,
    },
  ]);
});

Deno.test("loadPipelineText() refuses aliases: a billion-laughs document fails fast", () => {
  const lines = [
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ];
  for (let i = 1; i <= 9; i++) {
    const prev = i === 1 ? "a" : `l${i - 1}`;
    lines.push(`l${i}: &l${i} [${Array(9).fill(`*${prev}`).join(",")}]`);
  }
  const started = performance.now();
  const errors = errorsOf(lines.join("\n") + "\n");
  assert.ok(performance.now() - started < 1000, "must not expand aliases");
  assert.equal(errors.length, 81);
  assert.deepEqual(errors[0], {
    field: "l1.0",
    message: "aliases are not allowed: *a",
    line: 2,
    column: 10,
  });
});

Deno.test("loadPipelineText() refuses deep nesting before it costs anything", () => {
  for (
    const text of [
      "[".repeat(200_000),
      "- ".repeat(200_000) + "x",
      "{a: ".repeat(100_000),
    ]
  ) {
    const started = performance.now();
    const errors = errorsOf(text);
    assert.ok(performance.now() - started < 500, "fails fast");
    assert.equal(errors.length, 1);
    assert.equal(errors[0].message, "document nests deeper than 64 levels");
    assert.equal(errors[0].line, 1);
  }
  // Within the pre-check, past the exact limit: the node that is too deep.
  const block = Array.from({ length: 70 }, (_, i) => " ".repeat(i) + "k:")
    .join("\n") + " x";
  const [error] = errorsOf(block);
  assert.equal(error.message, "document nests deeper than 64 levels");
  assert.deepEqual([error.line, error.column], [65, 65]);
  const json = "[".repeat(65) + "]".repeat(65);
  assert.deepEqual(errorsOf(json, "json"), [{
    field: "",
    message: "document nests deeper than 64 levels",
    line: 1,
    column: 65,
  }]);
  assert.equal(
    loadPipelineText("[".repeat(64) + "]".repeat(64), "json").ok,
    false,
  );
});

Deno.test("loadPipelineText() refuses documents over 1 MB with status 413", () => {
  const result = loadPipelineText(
    `description: ${"x".repeat(MAX_PIPELINE_BYTES)}\n`,
    "yaml",
  );
  assert.equal(result.ok, false);
  assert.equal(!result.ok && result.status, 413);
  assert.equal(
    !result.ok && result.errors[0].message,
    `document is ${
      MAX_PIPELINE_BYTES + 14
    } bytes; the limit is ${MAX_PIPELINE_BYTES}`,
  );
});

Deno.test("loadPipelineText() refuses values the platform cannot store", () => {
  assert.deepEqual(
    errorsOf("name: daily\ndescription: !!binary aGk=\nretries: .inf\n"),
    [
      {
        field: "description",
        message: "unsupported tag: !!binary",
        line: 2,
        column: 23,
      },
      {
        field: "retries",
        message: "unsupported number: .inf",
        line: 3,
        column: 10,
      },
    ],
  );
  assert.deepEqual(errorsOf(""), [{
    field: "",
    message: "document is empty: expected a pipeline definition",
    line: 1,
    column: 1,
  }]);
});

Deno.test("loadPipelineText() reports at most 100 errors and counts the rest", () => {
  const steps = Array.from(
    { length: 150 },
    (_, i) => `  - {id: s${i}, type: extract, connector: files, x: 1}`,
  );
  const errors = errorsOf(`name: many\nsteps:\n${steps.join("\n")}\n`);
  assert.equal(errors.length, MAX_REPORTED_ERRORS + 1);
  assert.deepEqual(errors.at(-1), {
    field: "",
    message: "50 more errors not shown",
  });
});
