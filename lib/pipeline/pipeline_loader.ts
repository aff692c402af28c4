// Reads a pipeline definition from YAML or JSON text and reports every
// problem at once, each with its field path and 1-based line:column.
// JSON is parsed by the YAML parser too (JSON is YAML 1.2), so positions
// work the same for both; a small JSON checker refuses what is not JSON.

import { jsonSyntaxError } from "../api/json_syntax.ts";
import {
  type Document,
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type YAMLError,
} from "yaml";
import type { z } from "zod";
import type { FieldError } from "../api/problem.ts";
import { type PipelineDefinition, pipelineSchema } from "./pipeline_schema.ts";

/** Largest pipeline document accepted, in bytes (UTF-8). */
export const MAX_PIPELINE_BYTES = 1024 * 1024;
/** Deepest nesting of maps and lists accepted. */
export const MAX_PIPELINE_DEPTH = 64;

/** At most this many errors are reported (then a count of the rest). */
export const MAX_REPORTED_ERRORS = 100;

/** The text formats a definition can be written in. */
export type PipelineFormat = "yaml" | "json";

/** Parsed text kept to point later errors (e.g. from the store) at their line. */
export interface PipelineSource {
  text: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

/** What {@linkcode loadPipelineText} found. */
export type LoadResult =
  | { ok: true; definition: PipelineDefinition; source: PipelineSource }
  | {
    ok: false;
    /** 413 for a document over {@linkcode MAX_PIPELINE_BYTES}, else 422. */
    status: 413 | 422;
    /** Every problem, in source order. */
    errors: FieldError[];
    /** Set when the text parsed (even with schema errors). */
    source?: PipelineSource;
    /** The parsed value, when the text parsed without syntax errors. */
    data?: unknown;
  };

/** A 1-based position in the source text. */
export interface SourcePosition {
  line: number;
  column: number;
}

type Path = readonly (string | number)[];

// Beyond this, the YAML parser's recursion gets slow and then overflows the
// stack: refuse before parsing. The exact depth limit is checked after.
const PRESCAN_DEPTH = 256;
// Syntax problems after which the parsed value is still what the user wrote.
const SOFT_CODES = new Set(["DUPLICATE_KEY", "TAG_RESOLVE_FAILED"]);
const YAML_TAG = "tag:yaml.org,2002:";
const CORE_TAGS = new Set(
  ["str", "int", "float", "bool", "null", "map", "seq"].map((name) =>
    YAML_TAG + name
  ),
);

/** Parses and validates a pipeline definition written in YAML or JSON. */
export function loadPipelineText(
  text: string,
  format: PipelineFormat,
): LoadResult {
  const bytes = byteLength(text);
  if (bytes > MAX_PIPELINE_BYTES) {
    return {
      ok: false,
      status: 413,
      errors: [{
        field: "",
        message:
          `document is ${bytes} bytes; the limit is ${MAX_PIPELINE_BYTES}`,
      }],
    };
  }
  const lineCounter = new LineCounter();
  if (format === "json") {
    const problem = jsonSyntaxError(text, MAX_PIPELINE_DEPTH);
    if (problem) {
      return syntaxFailure(text, problem.offset, problem.message);
    }
  } else {
    const deep = prescanDepth(text);
    if (deep !== null) {
      return syntaxFailure(
        text,
        deep,
        `document nests deeper than ${MAX_PIPELINE_DEPTH} levels`,
      );
    }
  }
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    version: "1.2",
  });
  const source: PipelineSource = { text, doc, lineCounter };
  const errors: FieldError[] = [];
  let hard = false;
  for (const problem of [...doc.errors, ...doc.warnings]) {
    if (!SOFT_CODES.has(problem.code)) hard = true;
    errors.push(yamlProblem(source, problem));
  }
  const shape = checkShape(source);
  if (shape.length > 0) hard = true;
  errors.push(...shape);
  if (hard) return failure(errors, source);

  const data = format === "json"
    ? JSON.parse(text)
    // Aliases are refused above; never expand one whatever happens.
    : doc.toJS({ maxAliasCount: 0 });
  const result = pipelineSchema.safeParse(data);
  if (result.success && errors.length === 0) {
    return { ok: true, definition: result.data, source };
  }
  if (!result.success) {
    for (const issue of result.error.issues) {
      errors.push(...issueErrors(source, data, issue));
    }
  }
  return { ...failure(errors, source), data };
}

/** A failure before parsing: one error at `offset`, counted by hand. */
function syntaxFailure(
  text: string,
  offset: number,
  message: string,
): Extract<LoadResult, { ok: false }> {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - (before.lastIndexOf("\n") + 1) + 1;
  return failure([{ field: "", message, line, column }]);
}

/**
 * Where `path` (e.g. `steps.1.connector` or `["steps", 1, "connector"]`)
 * is in the source: the value's start, or, when the field is missing, the
 * start of the nearest enclosing node that exists.
 */
export function positionOf(
  source: PipelineSource,
  path: string | Path,
): SourcePosition {
  const segments = typeof path === "string"
    ? (path === "" ? [] : path.split("."))
    : path;
  const found = locate(source.doc, segments);
  const node = found.node ?? found.key;
  // An empty document: its only position is the start.
  return offsetPosition(source, node?.range?.[0] ?? 0);
}

/** A field error for `path`, placed at its position in `source`. */
export function sourceFieldError(
  source: PipelineSource | undefined,
  path: string | Path,
  message: string,
): FieldError {
  const field = typeof path === "string" ? path : path.join(".");
  const position = source ? positionOf(source, path) : undefined;
  return { field, message, ...position };
}

function failure(
  errors: FieldError[],
  source?: PipelineSource,
): Extract<LoadResult, { ok: false }> {
  return { ok: false, status: 422, errors: inSourceOrder(errors), source };
}

/**
 * Errors sorted by position (those without one last, ties in their order),
 * at most {@linkcode MAX_REPORTED_ERRORS} of them and a last one saying how
 * many more there were.
 */
export function inSourceOrder(errors: FieldError[]): FieldError[] {
  const sorted = errors.map((error, index) => ({ error, index })).sort(
    (a, b) =>
      (a.error.line ?? Infinity) - (b.error.line ?? Infinity) ||
      (a.error.column ?? 0) - (b.error.column ?? 0) || a.index - b.index,
  ).map(({ error }) => error);
  if (sorted.length <= MAX_REPORTED_ERRORS) return sorted;
  return [
    ...sorted.slice(0, MAX_REPORTED_ERRORS),
    {
      field: "",
      message: `${sorted.length - MAX_REPORTED_ERRORS} more errors not shown`,
    },
  ];
}

function offsetPosition(
  source: PipelineSource,
  offset: number,
): SourcePosition {
  const { line, col } = source.lineCounter.linePos(offset);
  return { line, column: col };
}

function yamlProblem(source: PipelineSource, problem: YAMLError): FieldError {
  const offset = problem.pos[0];
  let field = "";
  let message = problem.message;
  // After a hard syntax error the parsed tree is a guess: no path then.
  if (SOFT_CODES.has(problem.code)) {
    // A problem may start just before its node (a tag): try its end too.
    const [start, end] = [offset, problem.pos[1]].map((at) =>
      pathAt(source.doc, at)
    );
    const path = end.length > start.length ? end : start;
    field = path.join(".");
    if (problem.code === "DUPLICATE_KEY") {
      message = `duplicate key "${path.at(-1) ?? ""}"`;
    } else {
      message = `unsupported tag: ${message.replace(/^Unresolved tag: /, "")}`;
    }
  }
  return { field, message, ...offsetPosition(source, offset) };
}

/** Depth, aliases and value kinds the platform cannot store, with positions. */
function checkShape(source: PipelineSource): FieldError[] {
  const errors: FieldError[] = [];
  const problem = (node: Node, message: string) => {
    const offset = node.range?.[0] ?? 0;
    errors.push({
      field: pathAt(source.doc, offset).join("."),
      message,
      ...offsetPosition(source, offset),
    });
  };
  const stack: [unknown, number][] = [[source.doc.contents, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (!isNode(node)) continue;
    if (isAlias(node)) {
      problem(node, `aliases are not allowed: *${node.source}`);
      continue;
    }
    // Tags the parser could not resolve are already warnings.
    if (node.tag?.startsWith(YAML_TAG) && !CORE_TAGS.has(node.tag)) {
      problem(node, `unsupported tag: ${shortTag(node.tag)}`);
      continue;
    }
    if (isScalar(node)) {
      const value = node.value;
      if (typeof value === "number" && !Number.isFinite(value)) {
        problem(node, `unsupported number: ${node.source ?? String(value)}`);
      }
      continue;
    }
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth > MAX_PIPELINE_DEPTH) {
      problem(node, `document nests deeper than ${MAX_PIPELINE_DEPTH} levels`);
      break;
    }
    const items = node.items as unknown[];
    for (let i = items.length - 1; i >= 0; i--) {
      const item = items[i];
      if (isMap(node)) {
        const pair = item as { key: unknown; value: unknown };
        // A list or map as a key has no JSON form (and yaml would warn on
        // the server's stderr for every such document).
        if (isMap(pair.key) || isSeq(pair.key)) {
          problem(pair.key, "keys must be plain text, not a list or map");
          continue;
        }
        stack.push([pair.value, depth + 1], [pair.key, depth + 1]);
      } else stack.push([item, depth + 1]);
    }
  }
  return errors;
}

function shortTag(tag: string): string {
  return tag.startsWith(YAML_TAG) ? "!!" + tag.slice(YAML_TAG.length) : tag;
}

function issueErrors(
  source: PipelineSource,
  data: unknown,
  issue: z.core.$ZodIssue,
): FieldError[] {
  const path = issue.path.filter((p): p is string | number =>
    typeof p !== "symbol"
  );
  if (issue.code === "invalid_key") {
    // A bad map key (a parameter name): point at the key, not its value.
    const found = locate(source.doc, path);
    const node = found.key ?? found.node;
    return [{
      field: path.join("."),
      message: issue.message,
      ...(node?.range ? offsetPosition(source, node.range[0]) : {}),
    }];
  }
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => {
      const found = locate(source.doc, [...path, key]);
      const node = found.key ?? found.node;
      return {
        field: [...path, key].join("."),
        message: `unknown field "${key}"`,
        ...(node?.range ? offsetPosition(source, node.range[0]) : {}),
      };
    });
  }
  const options = "options" in issue && Array.isArray(issue.options)
    ? issue.options.map((option) => `"${String(option)}"`).join(", ")
    : undefined;
  const missing = path.length > 0 && valueAt(data, path) === undefined;
  let message = issue.message;
  if (path.length === 0 && data == null) {
    message = "document is empty: expected a pipeline definition";
  } else if (
    missing &&
    (issue.code === "invalid_type" || issue.code === "invalid_union")
  ) {
    message = `missing required field "${path.at(-1)}"${
      options ? ` (one of ${options})` : ""
    }`;
  } else if (issue.code === "invalid_union" && options) {
    message = `must be one of ${options}`;
  }
  return [sourceFieldError(source, path, message)];
}

function valueAt(data: unknown, path: Path): unknown {
  let value = data;
  for (const segment of path) {
    if (typeof value !== "object" || value === null) return undefined;
    if (!Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

interface Located {
  /** The value node at the path, or the nearest existing ancestor's. */
  node?: Node;
  /** The map key of `node`, when it is a map value. */
  key?: Node;
}

function locate(doc: Document.Parsed, path: Path): Located {
  let found: Located = isNode(doc.contents) ? { node: doc.contents } : {};
  for (const segment of path) {
    const node = found.node;
    let next: Located | undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(segment));
      if (pair) {
        next = {
          node: isNode(pair.value) ? pair.value : undefined,
          key: isNode(pair.key) ? pair.key : undefined,
        };
      }
    } else if (isSeq(node)) {
      const item = node.items[Number(segment)];
      if (isNode(item)) next = { node: item };
    }
    if (!next) return found;
    found = next;
    if (!found.node) return found;
  }
  return found;
}

/** The path of the deepest node whose text contains `offset`. */
function pathAt(doc: Document.Parsed, offset: number): (string | number)[] {
  const path: (string | number)[] = [];
  const inside = (node: unknown) =>
    isNode(node) && node.range !== undefined && node.range !== null &&
    node.range[0] <= offset &&
    offset < Math.max(node.range[2], node.range[0] + 1);
  let node: unknown = doc.contents;
  while (isMap(node) || isSeq(node)) {
    let next: unknown;
    if (isMap(node)) {
      for (const pair of node.items) {
        if (inside(pair.key)) {
          path.push(keyText(pair.key));
          return path;
        }
        if (inside(pair.value)) {
          path.push(keyText(pair.key));
          next = pair.value;
          break;
        }
      }
    } else {
      const index = node.items.findIndex(inside);
      if (index !== -1) {
        path.push(index);
        next = node.items[index];
      }
    }
    if (next === undefined) break;
    node = next;
  }
  return path;
}

function keyText(key: unknown): string {
  if (isScalar(key)) return String(key.value ?? "");
  return isNode(key) ? String(key) : String(key ?? "");
}

function byteLength(text: string): number {
  // Every UTF-16 unit is at most 3 UTF-8 bytes: count only when it matters.
  if (text.length * 3 <= MAX_PIPELINE_BYTES) return text.length;
  if (text.length > MAX_PIPELINE_BYTES) return text.length;
  return new TextEncoder().encode(text).length;
}

/**
 * The offset where the text certainly nests too deeply to parse, or null.
 * Over-counts (brackets in strings, deep indentation), never under-counts.
 */
function prescanDepth(text: string): number | null {
  let flow = 0;
  let lineStart = true;
  let lead = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) { // \n
      lineStart = true;
      lead = 0;
      continue;
    }
    if (lineStart) {
      // Indentation and `- `/`? ` indicators: each level takes a column.
      if (c === 32 || c === 9 || c === 45 || c === 63) lead++;
      else lineStart = false;
    }
    if (c === 91 || c === 123) flow++; // [ {
    else if ((c === 93 || c === 125) && flow > 0) flow--; // ] }
    if (flow + lead > PRESCAN_DEPTH) return i;
  }
  return null;
}
