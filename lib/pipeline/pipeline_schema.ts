// The pipeline definition (DESIGN.md "Contracts"): one zod schema that the
// API, the YAML loader, the forms and the OpenAPI document all reuse.
// This slice runs extract and load steps; transform, sql, http and check
// steps arrive with the execution engine.

import { z } from "zod";

const namePattern = /^[a-z0-9_-]+$/;

/** A pipeline or step name: lower-case letters, digits, `_` and `-`. */
export const nameSchema = z.string().min(1).max(63).regex(
  namePattern,
  "must use only a-z, 0-9, _ and -",
);

const stepBase = {
  id: nameSchema.describe("Unique step id within the pipeline"),
  needs: z.array(nameSchema).default([]).describe(
    "Ids of the steps this step reads from and waits for",
  ),
  retries: z.number().int().min(0).max(20).default(0).describe(
    "How many times a failed attempt is retried",
  ),
};

/** Reads records from a connector. */
export const extractStepSchema = z.object({
  ...stepBase,
  type: z.literal("extract"),
  connector: nameSchema.describe("Name of the connector to read from"),
  config: z.record(z.string(), z.unknown()).default({}).describe(
    "What to read, e.g. { path } for files, { table } or { query } for databases",
  ),
  cursor: z.object({
    field: z.string().min(1).describe(
      "Column (or record field) that grows with new records, e.g. updated_at or id",
    ),
  }).strict().optional().describe(
    "Incremental read: each run reads only records past the largest value the last successful run saw",
  ),
}).strict();

/** Writes the records of the step it needs into a connector. */
export const loadStepSchema = z.object({
  ...stepBase,
  type: z.literal("load"),
  connector: nameSchema.describe("Name of the connector to write to"),
  config: z.object({
    table: z.string().min(1).max(127).describe(
      "Target table, optionally schema-qualified",
    ),
    mode: z.enum(["append", "replace", "merge"]).default("append").describe(
      "append adds rows; replace swaps the table's content; merge upserts on keys",
    ),
    keys: z.array(z.string().min(1)).optional().describe(
      "Key columns for merge",
    ),
  }).strict(),
}).strict();

/** One step of a pipeline. */
export const stepSchema = z.discriminatedUnion("type", [
  extractStepSchema,
  loadStepSchema,
]);

/** A pipeline definition. */
export const pipelineSchema = z.object({
  name: nameSchema.describe("Unique pipeline name"),
  description: z.string().max(2000).default("").describe(
    "What the pipeline does",
  ),
  steps: z.array(stepSchema).min(1).max(200),
}).strict().superRefine((pipeline, ctx) => {
  const ids = new Set<string>();
  pipeline.steps.forEach((step, index) => {
    if (ids.has(step.id)) {
      ctx.addIssue({
        code: "custom",
        path: ["steps", index, "id"],
        message: `duplicate step id "${step.id}"`,
      });
    }
    ids.add(step.id);
  });
  pipeline.steps.forEach((step, index) => {
    step.needs.forEach((need, n) => {
      if (!ids.has(need)) {
        ctx.addIssue({
          code: "custom",
          path: ["steps", index, "needs", n],
          message: `step "${step.id}" needs unknown step "${need}"`,
        });
      }
    });
    if (step.type === "load" && step.needs.length !== 1) {
      ctx.addIssue({
        code: "custom",
        path: ["steps", index, "needs"],
        message:
          `load step "${step.id}" must need exactly one step to read from`,
      });
    }
  });
  const cycle = findCycle(pipeline.steps);
  if (cycle) {
    ctx.addIssue({
      code: "custom",
      path: ["steps"],
      message: `steps form a cycle: ${cycle.join(" → ")}`,
    });
  }
});

/** A validated pipeline definition. */
export type PipelineDefinition = z.infer<typeof pipelineSchema>;
/** A validated step. */
export type StepDefinition = z.infer<typeof stepSchema>;

/** Returns the ids along one cycle (first id repeated at the end), or null. */
export function findCycle(
  steps: { id: string; needs: string[] }[],
): string[] | null {
  const needs = new Map(steps.map((step) => [step.id, step.needs]));
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
