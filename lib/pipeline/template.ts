// `{{ params.x }}` and `{{ run.id }}` templates in step config. Plain text
// (paths, tables, URLs) gets the value substituted; SQL gets a placeholder
// ($1… or ?) and the value travels beside it as a bound parameter, never
// pasted into the statement.

/** A parameter's value at run time: dates are `YYYY-MM-DD` strings. */
export type ParamValue = string | number | boolean | null;

/** What templates can read while a run executes. */
export interface TemplateContext {
  params: Record<string, ParamValue>;
  run: {
    id: number;
    /** The pipeline's name. */
    pipeline: string;
    /** `YYYY-MM-DD` (UTC) of the run's scheduled time. */
    scheduled_date: string;
    /** ISO 8601 instant the run was scheduled for (or created at). */
    scheduled_time: string;
  };
}

/** Placeholder style of a database: `$1…` (postgres) or `?` (mysql). */
export type SqlDialect = "postgres" | "mysql";

/** The `run.*` variables a template may name. */
export const RUN_VARIABLES = [
  "id",
  "scheduled_date",
  "scheduled_time",
  "pipeline",
] as const;

/** A template that cannot be rendered (thrown, "Cannot …"). */
export class TemplateError extends Error {
  override name = "TemplateError";
}

/** One `{{ … }}` found in a string; `end` is exclusive. */
export interface TemplateMatch {
  start: number;
  end: number;
  /** The trimmed text between the braces. */
  expression: string;
}

/** What a template expression names, or null when it names nothing known. */
export type TemplateVariable =
  | { scope: "params"; name: string }
  | { scope: "run"; name: (typeof RUN_VARIABLES)[number] };

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Whether `text` contains a template (or the start of one). */
export function hasTemplate(text: string): boolean {
  return text.includes("{{");
}

/**
 * Every `{{ … }}` of `text`, in order. An unclosed `{{` is reported as a
 * match with `end: -1`.
 */
export function findTemplates(text: string): TemplateMatch[] {
  const matches: TemplateMatch[] = [];
  let from = 0;
  while (true) {
    const start = text.indexOf("{{", from);
    if (start < 0) return matches;
    const close = text.indexOf("}}", start + 2);
    if (close < 0) {
      matches.push({ start, end: -1, expression: text.slice(start + 2) });
      return matches;
    }
    matches.push({
      start,
      end: close + 2,
      expression: text.slice(start + 2, close).trim(),
    });
    from = close + 2;
  }
}

/** Parses `params.x` or `run.id`; null for anything else. */
export function parseVariable(expression: string): TemplateVariable | null {
  const dot = expression.indexOf(".");
  if (dot < 0) return null;
  const scope = expression.slice(0, dot);
  const name = expression.slice(dot + 1);
  if (scope === "params" && IDENT.test(name)) return { scope, name };
  if (
    scope === "run" &&
    (RUN_VARIABLES as readonly string[]).includes(name)
  ) {
    return { scope, name: name as (typeof RUN_VARIABLES)[number] };
  }
  return null;
}

/** `{{ expression }}` as users write it, for messages. */
export function showTemplate(expression: string): string {
  return `{{ ${expression} }}`;
}

/**
 * What is wrong with the templates of `text` given the declared parameter
 * names: one short message per problem (empty when all is well).
 */
export function templateProblems(
  text: string,
  declared: readonly string[],
): string[] {
  const problems: string[] = [];
  for (const match of findTemplates(text)) {
    const problem = matchProblem(match, declared);
    if (problem) problems.push(problem);
  }
  return problems;
}

function matchProblem(
  match: TemplateMatch,
  declared: readonly string[],
): string | null {
  if (match.end < 0) return `"{{" has no closing "}}"`;
  if (match.expression === "") return `empty template "{{ }}"`;
  const variable = parseVariable(match.expression);
  if (!variable) {
    if (match.expression.startsWith("params.")) {
      return `unknown parameter "${match.expression.slice(7)}" in ${
        showTemplate(match.expression)
      }`;
    }
    return `unknown template variable "${match.expression}" in ${
      showTemplate(match.expression)
    }: use params.<name>, run.id, run.scheduled_date, run.scheduled_time or run.pipeline`;
  }
  if (variable.scope === "params" && !declared.includes(variable.name)) {
    return `unknown parameter "${variable.name}" in ${
      showTemplate(match.expression)
    }`;
  }
  return null;
}

/** The value a template stands for in `context`; throws TemplateError. */
export function templateValue(
  match: TemplateMatch,
  context: TemplateContext,
): ParamValue {
  if (match.end < 0) {
    throw new TemplateError(`Cannot render template: "{{" has no closing "}}"`);
  }
  const variable = parseVariable(match.expression);
  if (!variable) {
    throw new TemplateError(
      `Cannot render ${
        showTemplate(match.expression)
      }: unknown template variable "${match.expression}"`,
    );
  }
  if (variable.scope === "run") return context.run[variable.name];
  if (!Object.hasOwn(context.params, variable.name)) {
    throw new TemplateError(
      `Cannot render ${
        showTemplate(match.expression)
      }: unknown parameter "${variable.name}"`,
    );
  }
  return context.params[variable.name];
}

/** `text` with each template replaced by its value as text (null → ""). */
export function renderText(text: string, context: TemplateContext): string {
  const matches = findTemplates(text);
  if (matches.length === 0) return text;
  let out = "";
  let last = 0;
  for (const match of matches) {
    const value = templateValue(match, context);
    out += text.slice(last, match.start) +
      (value === null ? "" : String(value));
    last = match.end;
  }
  return out + text.slice(last);
}

/**
 * Renders every string inside `config` (objects and arrays, recursively) as
 * plain text. For paths, table names, URLs: never for SQL (see renderQuery).
 */
export function renderConfig<T>(config: T, context: TemplateContext): T {
  return renderValue(config, context) as T;
}

function renderValue(value: unknown, context: TemplateContext): unknown {
  if (typeof value === "string") return renderText(value, context);
  if (Array.isArray(value)) return value.map((v) => renderValue(v, context));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, renderValue(v, context)]),
    );
  }
  return value;
}

/** A statement with placeholders and the values bound to them, in order. */
export interface BoundQuery {
  text: string;
  values: ParamValue[];
}

/**
 * Replaces each template of `sql` by a placeholder (`$1…` for postgres, `?`
 * for mysql) and collects its value. A template inside quotes (a string
 * literal or quoted identifier) cannot be bound and is refused; one inside a
 * comment is left as it is.
 */
export function renderQuery(
  sql: string,
  context: TemplateContext,
  dialect: SqlDialect,
): BoundQuery {
  const matches = findTemplates(sql);
  if (matches.length === 0) return { text: sql, values: [] };
  const regionOf = regionFinder(sqlRegions(sql, dialect));
  const values: ParamValue[] = [];
  let text = "";
  let last = 0;
  for (const match of matches) {
    const region = regionOf(match.start);
    if (region === "comment") continue;
    if (region === "quoted") {
      throw new TemplateError(
        `Cannot bind ${
          showTemplate(match.expression)
        } inside quotes: write it without quotes (e.g. day = ${
          showTemplate(match.expression)
        }); its value is sent as a bound parameter`,
      );
    }
    values.push(templateValue(match, context));
    text += sql.slice(last, match.start) +
      (dialect === "postgres" ? `$${values.length}` : "?");
    last = match.end;
  }
  return { text: text + sql.slice(last), values };
}

/**
 * Templates of `sql` that sit inside quotes under `dialect`'s rules: these
 * could not be bound. Returns their expressions.
 */
export function quotedTemplates(sql: string, dialect: SqlDialect): string[] {
  const matches = findTemplates(sql);
  if (matches.length === 0) return [];
  const regionOf = regionFinder(sqlRegions(sql, dialect));
  return matches.filter((m) => regionOf(m.start) === "quoted")
    .map((m) => m.expression);
}

type RegionKind = "code" | "quoted" | "comment";
interface Region {
  kind: Exclude<RegionKind, "code">;
  start: number;
  /** Exclusive. */
  end: number;
}

// The kind of text at each index, asked in increasing order (as templates
// are found): one pass over the regions, however many templates.
function regionFinder(regions: Region[]): (index: number) => RegionKind {
  let r = 0;
  return (index) => {
    while (r < regions.length && regions[r].end <= index) r++;
    const region = regions[r];
    return region && region.start <= index ? region.kind : "code";
  };
}

const IDENT_CHAR = /[A-Za-z0-9_$]/;
const DOLLAR_TAG = /\$([A-Za-z_][A-Za-z0-9_]*)?\$/y;

/** The quoted and commented spans of `sql` (a small lexer per dialect). */
export function sqlRegions(sql: string, dialect: SqlDialect): Region[] {
  const regions: Region[] = [];
  let i = 0;
  const n = sql.length;
  const push = (kind: Region["kind"], start: number, end: number) => {
    regions.push({ kind, start, end: Math.min(end, n) });
    i = Math.min(end, n);
  };
  while (i < n) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === "-" && next === "-") {
      // MySQL needs a space (or control character) after "--".
      if (dialect === "postgres" || i + 2 >= n || /\s/.test(sql[i + 2])) {
        push("comment", i, lineEnd(sql, i));
        continue;
      }
    }
    if (c === "#" && dialect === "mysql") {
      push("comment", i, lineEnd(sql, i));
      continue;
    }
    if (c === "/" && next === "*") {
      push("comment", i, blockCommentEnd(sql, i, dialect === "postgres"));
      continue;
    }
    if (c === "'") {
      const backslash = dialect === "mysql" ||
        (i > 0 && /[eE]/.test(sql[i - 1]) &&
          (i < 2 || !IDENT_CHAR.test(sql[i - 2])));
      push("quoted", i, quoteEnd(sql, i, "'", backslash));
      continue;
    }
    if (c === '"') {
      push("quoted", i, quoteEnd(sql, i, '"', dialect === "mysql"));
      continue;
    }
    if (c === "`" && dialect === "mysql") {
      push("quoted", i, quoteEnd(sql, i, "`", false));
      continue;
    }
    if (
      c === "$" && dialect === "postgres" &&
      (i === 0 || !IDENT_CHAR.test(sql[i - 1]))
    ) {
      DOLLAR_TAG.lastIndex = i;
      const tag = DOLLAR_TAG.exec(sql);
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        push("quoted", i, close < 0 ? n : close + tag[0].length);
        continue;
      }
    }
    i++;
  }
  return regions;
}

function lineEnd(sql: string, from: number): number {
  const newline = sql.indexOf("\n", from);
  return newline < 0 ? sql.length : newline;
}

// PostgreSQL block comments nest; MySQL's do not.
function blockCommentEnd(sql: string, from: number, nested: boolean): number {
  let depth = 0;
  let i = from;
  while (i < sql.length) {
    if (sql[i] === "/" && sql[i + 1] === "*") {
      depth = nested ? depth + 1 : 1;
      i += 2;
    } else if (sql[i] === "*" && sql[i + 1] === "/") {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i++;
    }
  }
  return sql.length;
}

// The index just past the closing quote; a doubled quote is an escaped one.
function quoteEnd(
  sql: string,
  from: number,
  quote: string,
  backslash: boolean,
): number {
  let i = from + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (backslash && c === "\\") {
      i += 2;
      continue;
    }
    if (c === quote) {
      if (sql[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  return sql.length;
}
