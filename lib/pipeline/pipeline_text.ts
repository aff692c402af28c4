// A pipeline definition as text: canonical YAML or JSON, with keys in the
// order users write them (name, description, schedule, max_concurrent_runs,
// params, steps; in a step: id, type, needs, connector, then the rest).
// Export, diff and the CLI all print through here, so the same definition
// always reads the same.

import { stringify } from "yaml";

const PIPELINE_KEYS = [
  "name",
  "description",
  "schedule",
  "max_concurrent_runs",
  "params",
  "steps",
];
const STEP_KEYS = ["id", "type", "needs", "connector", "language"];

/** `definition` with its keys in the canonical order, recursively sorted below steps. */
export function canonicalPipeline(definition: unknown): unknown {
  if (!isRecord(definition)) return definition;
  const out = ordered(definition, PIPELINE_KEYS);
  if (Array.isArray(out.steps)) {
    out.steps = out.steps.map((step) =>
      isRecord(step) ? ordered(step, STEP_KEYS) : step
    );
  }
  return out;
}

/** Canonical YAML of a definition (a trailing newline included). */
export function pipelineToYaml(definition: unknown): string {
  return stringify(canonicalPipeline(definition), {
    lineWidth: 0,
    // Never anchors/aliases: the text must read on its own.
    aliasDuplicateObjects: false,
  });
}

/** Canonical pretty JSON of a definition (a trailing newline included). */
export function pipelineToJson(definition: unknown): string {
  return JSON.stringify(canonicalPipeline(definition), null, 2) + "\n";
}

function ordered(
  record: Record<string, unknown>,
  first: string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of first) if (key in record) out[key] = record[key];
  for (const key of Object.keys(record).sort()) {
    if (!(key in out)) out[key] = sortDeep(record[key]);
  }
  return out;
}

function sortDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortDeep);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.keys(value).sort().map((key) => [key, sortDeep(value[key])]),
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
