import assert from "node:assert/strict";
import { z } from "zod";
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

function issues(input: unknown): [string, string][] {
  const result = pipelineSchema.safeParse(input);
  assert.equal(result.success, false, "expected a validation failure");
  return result.error!.issues.map((i) => [i.path.join("."), i.message]);
}

Deno.test("pipelineSchema accepts params and a schedule and fills their defaults", () => {
  const parsed = pipelineSchema.parse({
    ...valid,
    schedule: { cron: "0 2 * * *" },
    params: {
      day: { type: "date", default: "{{ run.scheduled_date }}" },
      min_id: { type: "number", default: 2 },
      region: { type: "enum", values: ["eu", "us"], default: "us" },
      full: { type: "boolean", required: false },
    },
    steps: [
      {
        ...valid.steps[0],
        config: {
          query:
            "select * from t where day = {{ params.day }} and id >= {{params.min_id}} -- {{ run.id }}",
        },
      },
      {
        ...valid.steps[1],
        config: { table: "sales_{{ params.region }}_{{ run.scheduled_date }}" },
      },
    ],
  });
  assert.deepEqual(parsed.schedule, {
    cron: "0 2 * * *",
    timezone: "UTC",
    catchup: "none",
  });
  assert.equal(parsed.params?.min_id.default, 2);
});

Deno.test("pipelineSchema reports schedule problems at their field", () => {
  assert.deepEqual(
    issues({
      ...valid,
      schedule: {
        cron: "0 25 * * *",
        timezone: "Mars/Olympus",
        catchup: "some",
        catchup_limit: 0,
      },
    }),
    [
      [
        "schedule.cron",
        'invalid cron expression "0 25 * * *": Invalid value for hour: 25',
      ],
      ["schedule.timezone", 'unknown time zone "Mars/Olympus"'],
      [
        "schedule.catchup",
        'Invalid option: expected one of "none"|"latest"|"all"',
      ],
      ["schedule.catchup_limit", "Too small: expected number to be >=1"],
    ],
  );
  assert.deepEqual(issues({ ...valid, schedule: { cron: "every day" } }), [[
    "schedule.cron",
    "invalid cron expression \"every day\": invalid configuration format ('every day'), exactly five, six, or seven space separated parts are required.",
  ]]);
});

Deno.test("pipelineSchema checks each param's default, values and name", () => {
  assert.deepEqual(
    issues({
      ...valid,
      params: {
        day: { type: "date", default: "2026-02-30" },
        when: { type: "date", default: "{{ run.id }}" },
        n: { type: "number", default: "2" },
        kind: { type: "enum" },
        size: { type: "enum", values: ["s", "m", "s"], default: "xl" },
        label: { type: "string", values: ["a"] },
        "bad-name": { type: "string" },
        flag: { type: "bool" },
      },
    }),
    [
      [
        "params.day.default",
        "must be a date (YYYY-MM-DD) or {{ run.scheduled_date }}",
      ],
      [
        "params.when.default",
        "must be a date (YYYY-MM-DD) or {{ run.scheduled_date }}",
      ],
      ["params.n.default", "must be a number"],
      ["params.kind.values", "an enum parameter needs values"],
      ["params.size.values.2", 'duplicate value "s"'],
      ["params.size.default", "must be one of: s, m, s"],
      [
        "params.label.values",
        "values are only for enum parameters, not string",
      ],
      [
        "params.bad-name",
        'parameter name "bad-name" must start with a letter or _ and use only letters, digits and _',
      ],
      [
        "params.flag.type",
        'Invalid option: expected one of "string"|"number"|"boolean"|"date"|"enum"',
      ],
    ],
  );
});

Deno.test("pipelineSchema names templates that use undeclared parameters", () => {
  assert.deepEqual(
    issues({
      name: "p",
      params: { day: { type: "date" } },
      steps: [
        {
          id: "a",
          type: "extract",
          connector: "pg",
          config: { options: { where: ["x", "{{ params.dya }}"] } },
        },
        {
          id: "b",
          type: "extract",
          connector: "pg",
          config: { path: "{{ env.HOME }}/{{ params.day }}" },
        },
        {
          id: "c",
          type: "extract",
          connector: "pg",
          config: {
            query: "select * from e where day = '{{ params.day }}'",
          },
        },
      ],
    }),
    [
      [
        "steps.0.config.options.where.1",
        'unknown parameter "dya" in {{ params.dya }}',
      ],
      [
        "steps.1.config.path",
        'unknown template variable "env.HOME" in {{ env.HOME }}: use params.<name>, run.id, run.scheduled_date, run.scheduled_time or run.pipeline',
      ],
      [
        "steps.2.config.query",
        "{{ params.day }} is inside quotes and cannot be bound: remove the quotes",
      ],
    ],
  );
});

Deno.test("pipelineSchema lists step-graph problems even when a field is wrong", () => {
  assert.deepEqual(
    issues({
      name: "p",
      steps: [
        {
          id: "a",
          type: "extract",
          connector: "pg",
          needs: ["b"],
          retries: -1,
        },
        { id: "b", type: "load", connector: "pg", needs: ["a", "zz"] },
        { id: "a", type: "extract", connector: 5 },
      ],
    }),
    [
      ["steps.0.retries", "Too small: expected number to be >=0"],
      ["steps.1.config", "Invalid input: expected object, received undefined"],
      ["steps.2.connector", "Invalid input: expected string, received number"],
      ["steps.2.id", 'duplicate step id "a"'],
      ["steps.1.needs.1", 'step "b" needs unknown step "zz"'],
      [
        "steps.1.needs",
        'load step "b" must need exactly one step to read from',
      ],
      ["steps", "steps form a cycle: a → b → a"],
    ],
  );
  // Not even an object: one issue, no crash.
  assert.deepEqual(issues("name: x"), [[
    "",
    "Invalid input: expected object, received string",
  ]]);
  assert.deepEqual(issues({ name: "p", steps: [1, null] }).length, 2);
});

Deno.test("pipelineSchema's JSON Schema carries descriptions and examples", () => {
  const schema = z.toJSONSchema(pipelineSchema, { io: "input" }) as {
    properties: Record<string, { description?: string; examples?: unknown[] }>;
  };
  for (const key of ["name", "description", "schedule", "params", "steps"]) {
    assert.ok(schema.properties[key].description, `${key} has a description`);
  }
  for (const key of ["name", "schedule", "params"]) {
    assert.ok(schema.properties[key].examples?.length, `${key} has examples`);
  }
});

Deno.test("pipelineSchema: a scheduled pipeline's parameters need defaults; max_concurrent_runs is a positive whole number", () => {
  assert.deepEqual(
    issues({
      ...valid,
      schedule: { cron: "0 2 * * *" },
      params: {
        day: { type: "date", default: "{{ run.scheduled_date }}" },
        region: { type: "string" },
        note: { type: "string", required: false },
      },
      steps: [valid.steps[0], valid.steps[1]],
    }),
    [[
      "params.region",
      'parameter "region" needs a default: the schedule starts runs without values',
    ]],
  );
  for (const bad of [0, 1.5, -1, "2"]) {
    const found = issues({ ...valid, max_concurrent_runs: bad });
    assert.deepEqual(found.map(([path]) => path), ["max_concurrent_runs"]);
  }
  assert.equal(
    pipelineSchema.parse({ ...valid, max_concurrent_runs: 3 })
      .max_concurrent_runs,
    3,
  );
});

Deno.test("pipelineSchema checks sql and http steps at their fields", () => {
  const result = pipelineSchema.safeParse({
    name: "steps",
    params: { day: { type: "date" } },
    steps: [
      {
        id: "q",
        type: "sql",
        connector: "warehouse",
        query:
          "select * from t where day = '{{ params.day }}' and x = {{ params.nope }}",
      },
      { id: "h", type: "http", url: "/relative", method: "GET" },
      { id: "p", type: "http", url: "https://x.test", method: "TRACE" },
      {
        id: "b",
        type: "http",
        connector: "api",
        url: "/v1/{{ params.day }}",
        body: { day: "{{ params.missing }}" },
        expect_status: [200, 202],
      },
    ],
  });
  assert.equal(result.success, false);
  const issues = result.error!.issues.map((i) => [i.path.join("."), i.message]);
  assert.deepEqual(issues.map(([path]) => path).sort(), [
    "steps.0.query",
    "steps.0.query",
    "steps.1.url",
    "steps.2.method",
    "steps.3.body.day",
  ]);
  assert.ok(issues.some(([, m]) => /inside quotes/.test(m)));
  assert.ok(issues.some(([, m]) => /absolute http\(s\) URL/.test(m)));
});
