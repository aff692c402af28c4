// A pipeline's typed run parameters: checking a value against its declared
// type, and turning what a run was started with (API body or run form) into
// the values its templates read, defaults filled in.

import { z } from "zod";
import type { ParamValue } from "./template.ts";

/** The types a parameter may declare. */
export const PARAM_TYPES = [
  "string",
  "number",
  "boolean",
  "date",
  "enum",
] as const;

/** A parameter type. */
export type ParamType = (typeof PARAM_TYPES)[number];

/** A declared parameter (the shape `paramSchema` validates). */
export interface ParamDeclaration {
  type: ParamType;
  default?: string | number | boolean;
  values?: string[];
  description?: string;
  required?: boolean;
}

/** One problem with one parameter, `field` being `params.<name>`. */
export interface ParamError {
  field: string;
  message: string;
}

/** The outcome of {@linkcode resolveRunParams}. */
export type ResolvedParams =
  | { ok: true; values: Record<string, ParamValue> }
  | { ok: false; errors: ParamError[] };

/** Options of {@linkcode resolveRunParams}. */
export interface ResolveParamsOptions {
  /**
   * The run's scheduled date (`YYYY-MM-DD`), for `{{ run.scheduled_date }}`
   * defaults. Without it such parameters are left out, to be resolved when
   * the run executes.
   */
  scheduledDate?: string;
}

/** The body of `POST /api/v1/pipelines/{id}/runs`. */
export const startRunBodySchema = z.object({
  params: z.record(z.string(), z.unknown()).optional().describe(
    "Values of the pipeline's declared parameters, by name; defaults fill the rest",
  ).meta({ examples: [{ day: "2026-01-02", min_id: 2 }] }),
}).strict().describe("Starts a run of the pipeline's current version");

/** Longest string value a run accepts. */
export const MAX_STRING_PARAM = 10_000;

const SCHEDULED_DATE = /^\{\{\s*run\.scheduled_date\s*\}\}$/;

/** Whether `value` is the `{{ run.scheduled_date }}` default. */
export function isScheduledDateDefault(value: unknown): boolean {
  return typeof value === "string" && SCHEDULED_DATE.test(value);
}

/** Whether `text` is a real calendar date written `YYYY-MM-DD`. */
export function isIsoDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [year, month, day] = match.slice(1).map(Number);
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day;
}

/** Whether a run must give the parameter: by default, when it has no default. */
export function paramRequired(declaration: ParamDeclaration): boolean {
  return declaration.required ?? declaration.default === undefined;
}

/** Why `value` does not fit `declaration`'s type, or null when it does. */
export function checkParamValue(
  declaration: ParamDeclaration,
  value: unknown,
): string | null {
  switch (declaration.type) {
    case "string":
      if (typeof value !== "string") return "must be a string";
      if (value.length > MAX_STRING_PARAM) {
        return `must be at most ${MAX_STRING_PARAM} characters`;
      }
      return null;
    case "number":
      return typeof value === "number" && Number.isFinite(value)
        ? null
        : "must be a number";
    case "boolean":
      return typeof value === "boolean" ? null : "must be true or false";
    case "date":
      return typeof value === "string" && isIsoDate(value)
        ? null
        : "must be a date (YYYY-MM-DD)";
    case "enum": {
      const values = declaration.values ?? [];
      return typeof value === "string" && values.includes(value)
        ? null
        : `must be one of: ${values.join(", ")}`;
    }
  }
}

/**
 * Checks the parameters a run was given against the declared ones and fills
 * defaults. Every problem is reported: unknown names, missing required
 * values, wrong types, values outside an enum. `null` counts as not given.
 */
export function resolveRunParams(
  declared: Record<string, ParamDeclaration> | undefined,
  given: unknown,
  options: ResolveParamsOptions = {},
): ResolvedParams {
  const declarations = declared ?? {};
  if (given === undefined || given === null) given = {};
  if (typeof given !== "object" || Array.isArray(given)) {
    return {
      ok: false,
      errors: [{ field: "params", message: "must be an object" }],
    };
  }
  const supplied = given as Record<string, unknown>;
  const errors: ParamError[] = [];
  const names = Object.keys(declarations);
  for (const name of Object.keys(supplied)) {
    if (!Object.hasOwn(declarations, name)) {
      errors.push({
        field: `params.${name}`,
        message: names.length === 0
          ? `unknown parameter "${name}": the pipeline declares none`
          : `unknown parameter "${name}"; declared: ${names.join(", ")}`,
      });
    }
  }
  const values: Record<string, ParamValue> = {};
  for (const [name, declaration] of Object.entries(declarations)) {
    const value = supplied[name];
    if (value === undefined || value === null) {
      if (declaration.default === undefined) {
        if (paramRequired(declaration)) {
          errors.push({
            field: `params.${name}`,
            message: `required parameter "${name}" is missing`,
          });
        } else {
          values[name] = null;
        }
      } else if (isScheduledDateDefault(declaration.default)) {
        if (options.scheduledDate !== undefined) {
          values[name] = options.scheduledDate;
        }
      } else {
        values[name] = declaration.default;
      }
      continue;
    }
    const problem = checkParamValue(declaration, value);
    if (problem) {
      errors.push({ field: `params.${name}`, message: problem });
    } else {
      values[name] = value as ParamValue;
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, values };
}

/**
 * The parameters a run form posted (inputs named `params.<name>`), typed
 * for {@linkcode resolveRunParams}: an empty input is "not given", a
 * checkbox is true when present, a number input becomes a number when it
 * reads as one (left as text otherwise, for the type check to name).
 */
export function paramsFromForm(
  declared: Record<string, ParamDeclaration> | undefined,
  form: FormData,
): Record<string, unknown> {
  const declarations = declared ?? {};
  const given: Record<string, unknown> = {};
  for (const [key, raw] of form.entries()) {
    if (!key.startsWith("params.") || typeof raw !== "string") continue;
    const name = key.slice("params.".length);
    const declaration = Object.hasOwn(declarations, name)
      ? declarations[name]
      : undefined;
    if (declaration?.type === "boolean") continue;
    if (raw === "") continue;
    if (declaration?.type === "number") {
      const number = Number(raw.trim());
      given[name] = raw.trim() !== "" && Number.isFinite(number) ? number : raw;
    } else {
      given[name] = raw;
    }
  }
  for (const [name, declaration] of Object.entries(declarations)) {
    if (declaration.type === "boolean") {
      given[name] = form.has(`params.${name}`);
    }
  }
  return given;
}
