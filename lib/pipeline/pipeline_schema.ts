// The pipeline definition (DESIGN.md "Contracts"): one zod schema that the
// API, the YAML loader, the forms, the JSON Schema and the OpenAPI document
// all reuse. Every problem is a zod issue at a precise path, so the YAML
// loader can point at its line.

import { MAX_DURATION_MS, parseDuration } from "./duration.ts";
import { z } from "zod";
import { Cron } from "croner";
import {
  checkParamValue,
  isScheduledDateDefault,
  PARAM_TYPES,
} from "./params.ts";
import {
  findTemplates,
  quotedTemplates,
  templateProblems,
} from "./template.ts";

const namePattern = /^[a-z0-9_-]+$/;
const paramNamePattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A pipeline or step name: lower-case letters, digits, `_` and `-`. */
export const nameSchema = z.string().min(1).max(63).regex(
  namePattern,
  "must use only a-z, 0-9, _ and -",
);

/** A parameter name, as templates write it: `{{ params.<name> }}`. */
export const paramNameSchema = z.string().min(1).max(63).regex(
  paramNamePattern,
  "must start with a letter or _ and use only letters, digits and _",
);

const stepBase = {
  id: nameSchema.describe("Unique step id within the pipeline").meta({
    examples: ["orders", "load_sales"],
  }),
  needs: z.array(nameSchema).default([]).describe(
    "Ids of the steps this step reads from and waits for",
  ).meta({ examples: [["orders"]] }),
  retries: z.number().int().min(0).max(20).default(0).describe(
    "How many times a failed attempt is retried",
  ).meta({ examples: [3] }),
  timeout: z.string().superRefine((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === null) {
      ctx.addIssue({
        code: "custom",
        message: `must be a duration like "90s", "10m" or "1h30m", not ${
          JSON.stringify(text)
        }`,
      });
    } else if (ms < 1000 || ms > MAX_DURATION_MS) {
      ctx.addIssue({
        code: "custom",
        message: "must be between 1s and 7d",
      });
    }
  }).optional().describe(
    "An attempt running longer is stopped and fails (then retries, if any are left)",
  ).meta({ examples: ["10m", "1h30m"] }),
};

/** Reads records from a connector. */
export const extractStepSchema = z.object({
  ...stepBase,
  type: z.literal("extract").describe("Reads records from a connector")
    .meta({ examples: ["extract"] }),
  connector: nameSchema.describe("Name of the connector to read from").meta({
    examples: ["shop_mysql", "files"],
  }),
  config: z.record(z.string(), z.unknown()).default({}).describe(
    "What to read, e.g. { path } for files, { table } or { query } for databases; strings may use {{ params.x }} and {{ run.id }}, {{ run.scheduled_date }}, {{ run.scheduled_time }}, {{ run.pipeline }} (bound as parameters in a query, never pasted)",
  ).meta({
    examples: [
      { query: "select * from orders where day = {{ params.day }}" },
      { path: "exports/{{ run.scheduled_date }}.csv" },
      { table: "customers" },
    ],
  }),
  cursor: z.object({
    field: z.string().min(1).describe(
      "Column (or record field) that grows with new records, e.g. updated_at or id",
    ).meta({ examples: ["updated_at", "id"] }),
  }).strict().optional().describe(
    "Incremental read: each run reads only records past the largest value the last successful run saw",
  ).meta({ examples: [{ field: "updated_at" }] }),
}).strict();

/** Writes the records of the step it needs into a connector. */
export const loadStepSchema = z.object({
  ...stepBase,
  type: z.literal("load").describe(
    "Writes the records of the step it needs into a connector",
  ).meta({ examples: ["load"] }),
  connector: nameSchema.describe("Name of the connector to write to").meta({
    examples: ["warehouse"],
  }),
  config: z.object({
    table: z.string().min(1).max(127).describe(
      "Target table, optionally schema-qualified; may use templates, e.g. sales_{{ params.region }}",
    ).meta({ examples: ["sales", "analytics.daily_orders"] }),
    mode: z.enum(["append", "replace", "merge"]).default("append").describe(
      "append adds rows; replace swaps the table's content; merge upserts on keys",
    ).meta({ examples: ["merge"] }),
    keys: z.array(z.string().min(1)).optional().describe(
      "Key columns for merge",
    ).meta({ examples: [["order_id"]] }),
  }).strict().describe("Where and how to write").meta({
    examples: [{ table: "sales", mode: "merge", keys: ["order_id"] }],
  }),
}).strict();

/** Runs TypeScript or JavaScript over the rows of the step it needs, in a sandbox. */
export const transformStepSchema = z.object({
  ...stepBase,
  type: z.literal("transform").describe(
    "Runs TypeScript or JavaScript over the rows of the step it needs, in a sandbox",
  ).meta({ examples: ["transform"] }),
  language: z.enum(["typescript", "javascript"]).default("typescript")
    .describe("Language of code").meta({ examples: ["typescript"] }),
  mode: z.enum(["row", "batch"]).default("row").describe(
    "row: the default export is fn(row, ctx) and returns a row, an array of rows, or null/undefined to drop it; batch: fn(rows, ctx) returns the output rows",
  ).meta({ examples: ["row", "batch"] }),
  code: z.string().min(1).max(1024 * 1024).describe(
    "A module whose default export is the function; ctx has params, log(message) and run { id, pipeline, scheduled_date }; no imports of remote modules",
  ).meta({
    examples: [
      "export default (row, ctx) => ({ ...row, total: row.qty * row.price })",
    ],
  }),
  allow_net: z.array(
    z.string().regex(
      /^([a-z0-9-]+(\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(:\d{1,5})?$/i,
      "must be a host name or address, with an optional :port",
    ),
  ).max(100).default([]).describe(
    "Hosts the code may fetch (host or host:port); no network otherwise",
  ).meta({ examples: [["api.example.com", "127.0.0.1:8080"]] }),
  memory_mb: z.number().int().min(32).max(4096).optional().describe(
    "Heap limit of the sandbox in MB (default 512, or ETL_SANDBOX_MEMORY_MB); past it the step fails with out of memory",
  ).meta({ examples: [256] }),
}).strict();

/** Runs one SQL statement inside a connector's database, in one transaction. */
export const sqlStepSchema = z.object({
  ...stepBase,
  type: z.literal("sql").describe(
    "Runs one SQL statement inside a connector's database, in one transaction",
  ).meta({ examples: ["sql"] }),
  connector: nameSchema.describe(
    "Name of a database connector (PostgreSQL, MySQL/MariaDB or warehouse)",
  ).meta({ examples: ["warehouse", "shop_pg"] }),
  query: z.string().min(1).max(1_000_000).describe(
    "One statement; {{ params.x }} and {{ run.* }} are bound as values, never pasted. Rows it returns (SELECT, RETURNING) become the step's output",
  ).meta({
    examples: [
      "insert into daily select * from orders where day = {{ params.day }}",
      "select id, total from orders where total > {{ params.min_total }}",
    ],
  }),
}).strict();

/** HTTP methods an http step may send. */
export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

/** Calls an external API; the response becomes the step's output. */
export const httpStepSchema = z.object({
  ...stepBase,
  type: z.literal("http").describe(
    "Calls an external API; the response becomes the step's output",
  ).meta({ examples: ["http"] }),
  connector: nameSchema.optional().describe(
    "A REST connector whose base URL and credentials the request uses (sent only to its own origin)",
  ).meta({ examples: ["crm_api"] }),
  method: z.enum(HTTP_METHODS).default("GET").describe(
    "HTTP method: GET, POST, PUT, PATCH or DELETE",
  ).meta({ examples: ["POST"] }),
  url: z.string().min(1).max(8192).describe(
    "Absolute http(s) URL, or with a connector a path relative to its URL; may use templates",
  ).meta({
    examples: [
      "https://api.example.com/v1/orders?day={{ params.day }}",
      "/v1/refresh",
    ],
  }),
  headers: z.record(z.string().min(1), z.string()).default({}).describe(
    "Request headers; values may use templates",
  ).meta({ examples: [{ "X-Request-Source": "etl" }] }),
  body: z.union([
    z.string(),
    // z.json() is recursive: the OpenAPI document cannot inline it.
    z.array(z.unknown()),
    z.record(z.string(), z.unknown()),
  ]).optional().describe(
    "Request body: a string sent as is, or JSON (object or array) sent as application/json; strings inside may use templates",
  ).meta({ examples: [{ day: "{{ params.day }}", full: true }] }),
  expect_status: z.array(z.number().int().min(100).max(599)).min(1).optional()
    .describe("Statuses that count as success; default: any 2xx").meta({
      examples: [[200, 201]],
    }),
}).strict();

/** One step of a pipeline. */
export const stepSchema = z.discriminatedUnion("type", [
  extractStepSchema,
  loadStepSchema,
  transformStepSchema,
  sqlStepSchema,
  httpStepSchema,
]);

/** A typed run parameter. */
export const paramSchema = z.object({
  type: z.enum(PARAM_TYPES).describe(
    "Type of the value: string, number, boolean, date (YYYY-MM-DD) or enum (one of values)",
  ).meta({ examples: ["date", "number", "enum"] }),
  default: z.union([z.string(), z.number(), z.boolean()]).optional()
    .describe(
      "Value used when a run does not give one; a date may default to {{ run.scheduled_date }}",
    ).meta({ examples: ["{{ run.scheduled_date }}", 100, "eu"] }),
  values: z.array(z.string().min(1).max(200)).min(1).max(1000).optional()
    .describe("The allowed values of an enum parameter (required for enum)")
    .meta({ examples: [["eu", "us", "apac"]] }),
  description: z.string().max(2000).optional().describe(
    "What the parameter means, shown on the run form",
  ).meta({ examples: ["Day of the orders to load"] }),
  required: z.boolean().optional().describe(
    "Whether a run must give a value; default: true when there is no default",
  ).meta({ examples: [false] }),
}).strict().superRefine((param, ctx) => {
  if (!isRecord(param) || !PARAM_TYPES.includes(param.type)) return;
  const isEnum = param.type === "enum";
  const values = Array.isArray(param.values) ? param.values : undefined;
  if (isEnum && param.values === undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["values"],
      message: "an enum parameter needs values",
    });
  }
  if (!isEnum && param.values !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["values"],
      message: `values are only for enum parameters, not ${param.type}`,
    });
  }
  values?.forEach((value, index) => {
    if (values.indexOf(value) !== index) {
      ctx.addIssue({
        code: "custom",
        path: ["values", index],
        message: `duplicate value "${value}"`,
      });
    }
  });
  if (param.default === undefined) return;
  if (param.type === "date" && isScheduledDateDefault(param.default)) return;
  if (isEnum && !values) return;
  const problem = checkParamValue(param, param.default);
  if (problem) {
    ctx.addIssue({
      code: "custom",
      path: ["default"],
      message: param.type === "date"
        ? "must be a date (YYYY-MM-DD) or {{ run.scheduled_date }}"
        : problem,
    });
  }
}, { when: () => true });

/** When a pipeline runs on its own (the scheduler fires it; stored here). */
export const scheduleSchema = z.object({
  cron: z.string().min(1).max(200).superRefine((cron, ctx) => {
    const problem = cronProblem(cron);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }).describe(
    "Cron expression: minute hour day-of-month month day-of-week (a leading seconds field is allowed)",
  ).meta({ examples: ["0 2 * * *", "*/15 * * * *", "0 6 * * MON-FRI"] }),
  timezone: z.string().min(1).max(100).superRefine((zone, ctx) => {
    if (!isTimeZone(zone)) {
      ctx.addIssue({ code: "custom", message: `unknown time zone "${zone}"` });
    }
  }).default("UTC").describe(
    "IANA time zone the cron expression is read in",
  ).meta({ examples: ["UTC", "Europe/Paris", "America/New_York"] }),
  catchup: z.enum(["none", "latest", "all"]).default("none").describe(
    "Runs missed while the scheduler was down: none skips them, latest runs the most recent one, all runs each of them",
  ).meta({ examples: ["latest"] }),
  catchup_limit: z.number().int().min(1).max(1000).optional().describe(
    "With catchup all: at most this many missed runs, the most recent ones (default 100)",
  ).meta({ examples: [24] }),
}).strict();

/** A pipeline definition. */
export const pipelineSchema = z.object({
  name: nameSchema.describe("Unique pipeline name").meta({
    examples: ["daily_sales"],
  }),
  description: z.string().max(2000).default("").describe(
    "What the pipeline does",
  ).meta({ examples: ["Load yesterday's orders into the warehouse"] }),
  schedule: scheduleSchema.optional().describe(
    "Run the pipeline on a cron schedule",
  ).meta({
    examples: [{
      cron: "0 2 * * *",
      timezone: "Europe/Paris",
      catchup: "latest",
    }],
  }),
  max_concurrent_runs: z.number().int().min(1).max(1000).optional()
    .describe(
      "At most this many runs of the pipeline at once; a run started beyond it waits (PENDING) for one to end",
    ).meta({ examples: [1] }),
  params: z.record(paramNameSchema, paramSchema, {
    error: (issue) =>
      issue.code === "invalid_key"
        ? `parameter name "${String(issue.input)}" ${
          issue.issues[0]?.message ?? "is not valid"
        }`
        : undefined,
  }).optional().describe(
    "Typed parameters a run may give, read in step config as {{ params.<name> }}",
  ).meta({
    examples: [{
      day: { type: "date", default: "{{ run.scheduled_date }}" },
      region: { type: "enum", values: ["eu", "us"], default: "eu" },
    }],
  }),
  steps: z.array(stepSchema).min(1).max(200).describe(
    "The steps, a DAG through their needs",
  ).meta({
    examples: [[
      {
        id: "orders",
        type: "extract",
        connector: "shop_mysql",
        config: { table: "orders" },
      },
      {
        id: "load",
        type: "load",
        needs: ["orders"],
        connector: "warehouse",
        config: { table: "orders", mode: "merge", keys: ["id"] },
      },
    ]],
  }),
}).strict().superRefine((pipeline, ctx) => {
  // Runs even when some fields failed, so every problem is listed at once:
  // the value may be malformed anywhere.
  if (!isRecord(pipeline) || !Array.isArray(pipeline.steps)) return;
  const steps: Record<string, unknown>[] = (pipeline.steps as unknown[]).map(
    (step) => isRecord(step) ? step : {},
  );
  const ids = new Set<string>();
  steps.forEach((step, index) => {
    if (typeof step.id !== "string") return;
    if (ids.has(step.id)) {
      ctx.addIssue({
        code: "custom",
        path: ["steps", index, "id"],
        message: `duplicate step id "${step.id}"`,
      });
    }
    ids.add(step.id);
  });
  steps.forEach((step, index) => {
    const needs = stringsOf(step.needs);
    needs.forEach((need, n) => {
      if (typeof need === "string" && !ids.has(need)) {
        ctx.addIssue({
          code: "custom",
          path: ["steps", index, "needs", n],
          message: `step "${step.id}" needs unknown step "${need}"`,
        });
      }
    });
    if (
      (step.type === "load" || step.type === "transform") &&
      Array.isArray(step.needs) && step.needs.length !== 1
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["steps", index, "needs"],
        message:
          `${step.type} step "${step.id}" must need exactly one step to read from`,
      });
    }
  });
  const cycle = findCycle(
    steps.filter((step) => typeof step.id === "string").map((step) => ({
      id: step.id as string,
      needs: stringsOf(step.needs).filter((n) => typeof n === "string"),
    })),
  );
  if (cycle) {
    ctx.addIssue({
      code: "custom",
      path: ["steps"],
      message: `steps form a cycle: ${cycle.join(" → ")}`,
    });
  }
  const declared = isRecord(pipeline.params)
    ? Object.keys(pipeline.params)
    : [];
  // The scheduler starts runs without values: each needs a default.
  if (pipeline.schedule !== undefined && isRecord(pipeline.params)) {
    for (const [name, param] of Object.entries(pipeline.params)) {
      if (
        isRecord(param) && param.default === undefined &&
        param.required !== false
      ) {
        ctx.addIssue({
          code: "custom",
          path: ["params", name],
          message:
            `parameter "${name}" needs a default: the schedule starts runs without values`,
        });
      }
    }
  }
  steps.forEach((step, index) => {
    // sql and http steps carry their templated settings at the top level.
    const fields = step.type === "sql"
      ? ["query"]
      : step.type === "http"
      ? ["url", "headers", "body"]
      : [];
    for (const field of fields) {
      stringsIn(step[field], [], (path, text) => {
        const at = ["steps", index, field, ...path];
        for (const message of templateProblems(text, declared)) {
          ctx.addIssue({ code: "custom", path: at, message });
        }
      });
    }
    if (
      step.type === "http" && step.connector === undefined &&
      typeof step.url === "string" && !/^(https?:\/\/|\{\{)/i.test(step.url)
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["steps", index, "url"],
        message:
          "must be an absolute http(s) URL, or name a REST connector to be relative to",
      });
    }
    if (step.type === "sql" && typeof step.query === "string") {
      for (
        const expression of unbindableTemplates(step.query, step.connector)
      ) {
        ctx.addIssue({
          code: "custom",
          path: ["steps", index, "query"],
          message:
            `{{ ${expression} }} is inside quotes and cannot be bound: remove the quotes`,
        });
      }
    }
    if (!isRecord(step.config)) return;
    const tooDeep = stringsIn(step.config, [], (path, text) => {
      const at = ["steps", index, "config", ...path];
      for (const message of templateProblems(text, declared)) {
        ctx.addIssue({ code: "custom", path: at, message });
      }
    });
    if (tooDeep) {
      ctx.addIssue({
        code: "custom",
        path: ["steps", index, "config", ...tooDeep],
        message: `config nests deeper than ${MAX_CONFIG_DEPTH} levels`,
      });
    }
    const query = step.config.query;
    if (step.type === "extract" && typeof query === "string") {
      for (const expression of unbindableTemplates(query, step.connector)) {
        ctx.addIssue({
          code: "custom",
          path: ["steps", index, "config", "query"],
          message:
            `{{ ${expression} }} is inside quotes and cannot be bound: remove the quotes`,
        });
      }
    }
  });
}, { when: () => true });

/** A validated pipeline definition. */
export type PipelineDefinition = z.infer<typeof pipelineSchema>;
/** A validated step. */
export type StepDefinition = z.infer<typeof stepSchema>;
/** A declared run parameter. */
export type ParamDefinition = z.infer<typeof paramSchema>;
/** A validated schedule. */
export type ScheduleDefinition = z.infer<typeof scheduleSchema>;

/** Why `expression` is not a cron expression croner accepts, or null. */
export function cronProblem(expression: string): string | null {
  try {
    new Cron(expression, { paused: true }).stop();
    return null;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return `invalid cron expression "${expression}": ${
      message.replace(/^CronPattern: /, "")
    }`;
  }
}

/** Whether `zone` is a time zone this runtime knows (e.g. "Europe/Paris"). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Returns the ids along one cycle (first id repeated at the end), or null. */
export function findCycle(
  steps: { id: string; needs: string[] }[],
): string[] | null {
  // A duplicated id (reported on its own) keeps the needs of every copy.
  const needs = new Map<string, string[]>();
  for (const step of steps) {
    needs.set(step.id, [...(needs.get(step.id) ?? []), ...step.needs]);
  }
  const state = new Map<string, "visiting" | "done">();
  const path: string[] = [];
  const visit = (id: string): string[] | null => {
    if (state.get(id) === "done") return null;
    if (state.get(id) === "visiting") {
      return [...path.slice(path.indexOf(id)), id];
    }
    state.set(id, "visiting");
    path.push(id);
    for (const need of needs.get(id) ?? []) {
      const cycle = visit(need);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(id, "done");
    return null;
  };
  for (const step of steps) {
    const cycle = visit(step.id);
    if (cycle) return cycle;
  }
  return null;
}

// The dialect is only known once the connector opens (at run time), except
// for the built-in warehouse; before that, a template counts as quoted only
// when PostgreSQL's and MySQL's rules agree, so no valid query is refused.
function unbindableTemplates(query: string, connector: unknown): string[] {
  if (findTemplates(query).length === 0) return [];
  const postgres = quotedTemplates(query, "postgres");
  if (connector === "warehouse") return postgres;
  const mysql = quotedTemplates(query, "mysql");
  return postgres.filter((expression) => mysql.includes(expression));
}

/** How deep a step's config may nest (objects and arrays). */
export const MAX_CONFIG_DEPTH = 32;

// Calls `visit` with every string inside a config value and its path; stops
// at MAX_CONFIG_DEPTH and returns the path where it stopped (else null).
function stringsIn(
  value: unknown,
  path: (string | number)[],
  visit: (path: (string | number)[], text: string) => void,
): (string | number)[] | null {
  if (typeof value === "string") {
    visit(path, value);
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  if (path.length >= MAX_CONFIG_DEPTH) return path;
  const entries: [string | number, unknown][] = Array.isArray(value)
    ? [...value.entries()]
    : Object.entries(value);
  for (const [key, item] of entries) {
    const stopped = stringsIn(item, [...path, key], visit);
    if (stopped) return stopped;
  }
  return null;
}

function stringsOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

// deno-lint-ignore no-explicit-any
function isRecord(value: unknown): value is Record<string, any> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
