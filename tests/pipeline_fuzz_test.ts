// Fuzzing the pipeline format and the JSON API with thousands of malformed
// documents and bodies: random YAML, every truncation of valid files, deep
// nesting, huge strings, wrong types in every field, cycles of every length,
// duplicate keys, alias bombs, random bytes. Never a 5xx, never a throw,
// every rejection names a position or a path, memory stays bounded.
// Deterministic: a fixed seed (FUZZ_SEED overrides it to explore) and fixed
// counts, so a failure replays; each failure prints its case's label.

import assert from "node:assert/strict";
import { parseDocument, stringify } from "yaml";
import { type Platform, startPlatform } from "./harness.ts";
import { loadPipelineText } from "../lib/pipeline/pipeline_loader.ts";

const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 0x5eed_2025);
/**
 * RSS growth allowed over the server run (two passes, ~7,500 documents, ~40
 * MB of bodies), after a pause for the GC. Measured: +365 MB on PostgreSQL,
 * none on PGlite (its own memory dominates); an expanded alias bomb or a
 * retained parse per request would pass it by far.
 */
const MAX_RSS_GROWTH = 512 * 1024 * 1024;

/** Mulberry32: a tiny seeded PRNG, so every run sends the same documents. */
class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(below: number): number {
    return Math.floor(this.next() * below);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

// A definition using every part of the format: the base of the mutations.
const VALID = {
  name: "fuzz_base",
  description: "Orders into the warehouse",
  schedule: { cron: "0 2 * * *", timezone: "Europe/Paris", catchup: "latest" },
  params: {
    day: { type: "date", default: "{{ run.scheduled_date }}" },
    region: {
      type: "enum",
      values: ["eu", "us"],
      default: "eu",
      description: "Where the orders come from",
    },
    limit: { type: "number", default: 100, required: false },
  },
  steps: [
    {
      id: "orders",
      type: "extract",
      connector: "files",
      config: { path: "orders_{{ params.region }}.csv" },
      cursor: { field: "updated_at" },
      retries: 1,
    },
    {
      id: "load",
      type: "load",
      needs: ["orders"],
      connector: "warehouse",
      config: { table: "orders", mode: "merge", keys: ["id"] },
      retries: 2,
    },
  ],
};

// The same kind of definition as a person writes it: comments, flow and
// block styles, a folded scalar, quotes. Truncated at every length.
const HAND_YAML =
  `# yaml-language-server: $schema=http://localhost:8000/api/v1/schema/pipeline.json
name: fuzz_hand   # the pipeline
description: >
  Folded text
  over two lines
schedule: { cron: "*/15 * * * *", catchup: none }
params:
  day: { type: date, default: "{{ run.scheduled_date }}" }
  region:
    type: enum
    values: [eu, us]
    default: eu
steps:
  - id: orders
    type: extract
    connector: files
    config:
      path: 'orders_{{ params.region }}.csv'
  - id: load
    type: load
    needs: [orders]
    connector: warehouse
    config: { table: orders, mode: append }
`;

const YAML_TOKENS = [
  "name",
  "steps",
  "id",
  "type",
  "extract",
  "load",
  "needs",
  "connector",
  "config",
  "params",
  "schedule",
  "cron",
  "files",
  "warehouse",
  "table",
  ":",
  ": ",
  "-",
  "- ",
  "[",
  "]",
  "{",
  "}",
  ",",
  "?",
  "? ",
  "&a",
  "*a",
  "&b",
  "*b",
  "<<",
  "!!str",
  "!!map",
  "!!seq",
  "!!binary",
  "!custom",
  "!<tag:x>",
  "|",
  "|-",
  ">",
  ">+",
  '"',
  "'",
  '"\\u00"',
  "#",
  "# c",
  "---",
  "...",
  "%YAML 1.2",
  "%TAG ! tag:x,2000:",
  "\t",
  "null",
  "~",
  "true",
  "1e309",
  "0x1F",
  "-.inf",
  ".nan",
  "2025-01-01",
  "{{ params.x }}",
  "{{",
  "}}",
  "\u0000",
  "\u2028",
  "\ufeff",
  "é",
  "😀",
  "\\",
  "@",
  "`",
  "%",
];
const SEPARATORS = [" ", "\n", "\n  ", "\n    ", "", "  ", "\r\n", "\n- "];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function randomJson(rng: Rng, depth = 0): Json {
  const kind = rng.int(depth > 3 ? 4 : 6);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -1, 1.5, 1e308, -0, 2 ** 53 + 1, rng.int(1000)]);
    case 3:
      return rng.pick([
        "",
        "x",
        "fuzz",
        "a".repeat(rng.int(300)),
        "{{ params.nope }}",
        "' or 1=1 --",
        "<script>",
        "\u0000",
        "é😀",
        "2025-13-45",
        "* * *",
      ]);
    case 4:
      return Array.from(
        { length: rng.int(4) },
        () => randomJson(rng, depth + 1),
      );
    default: {
      const out: Record<string, Json> = {};
      for (let i = rng.int(4); i > 0; i--) {
        setKey(
          out,
          rng.pick(["name", "steps", "id", "x", "type", "", "__proto__"]),
          randomJson(rng, depth + 1),
        );
      }
      return out;
    }
  }
}

// A plain own property, even for "__proto__", so it reaches the JSON text.
function setKey(target: Record<string, Json>, key: string, value: Json) {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function randomTokens(rng: Rng): string {
  let text = "";
  for (let i = 1 + rng.int(60); i > 0; i--) {
    text += rng.pick(YAML_TOKENS) + rng.pick(SEPARATORS);
  }
  return text;
}

function randomBytes(rng: Rng): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(rng.int(2000));
  for (let i = 0; i < bytes.length; i++) {
    // Mostly ASCII so some structure appears, plus invalid UTF-8 sequences.
    bytes[i] = rng.chance(0.7)
      ? 32 + rng.int(95)
      : rng.pick([0x00, 0x0a, 0x80, 0xbf, 0xc0, 0xc3, 0xed, 0xf8, 0xff]);
  }
  return bytes;
}

/** Every path in a JSON value, root first. */
function* pathsOf(
  value: unknown,
  path: (string | number)[] = [],
): Generator<(string | number)[]> {
  yield path;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      yield* pathsOf(value[i], [...path, i]);
    }
  } else if (value && typeof value === "object") {
    for (const [key, child] of Object.entries(value)) {
      yield* pathsOf(child, [...path, key]);
    }
  }
}

function setAt(root: unknown, path: (string | number)[], value: unknown) {
  if (path.length === 0) return value;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) {
    node = node[key] as Record<string | number, unknown>;
  }
  node[path.at(-1)!] = value;
  return copy;
}

function getAt(root: unknown, path: (string | number)[]): unknown {
  let node = root as Record<string | number, unknown>;
  for (const key of path) node = node[key] as Record<string | number, unknown>;
  return node;
}

function jsonType(value: unknown): string {
  return value === null
    ? "null"
    : Array.isArray(value)
    ? "array"
    : typeof value;
}

const WRONG_VALUES: unknown[] = [
  null,
  42,
  -1.5,
  "fuzz",
  true,
  [],
  [1, "x"],
  {},
  { k: 1 },
];

/** A pipeline whose steps s1 → … → sN → s1 form a cycle of `length`. */
function cycleDefinition(length: number) {
  return {
    name: `cycle_${length}`,
    steps: Array.from({ length }, (_, i) => ({
      id: `s${i + 1}`,
      type: "extract",
      connector: "files",
      needs: [`s${i === 0 ? length : i}`],
    })),
  };
}

/** A chain s1 ← s2 ← … of `length` extract steps (no cycle). */
function chainDefinition(length: number) {
  return {
    name: `chain_${length}`,
    steps: Array.from({ length }, (_, i) => ({
      id: `s${i + 1}`,
      type: "extract",
      connector: "files",
      needs: i === 0 ? [] : [`s${i}`],
    })),
  };
}

/** One fuzz case: the body and what a sound answer looks like. */
interface Case {
  label: string;
  body: string | Uint8Array<ArrayBuffer>;
  contentType?: string;
  /** The body parses as YAML (or JSON for JSON) without syntax errors. */
  parsed: boolean;
  /** A wrong value was put at this path: some error must name it. */
  related?: string;
  /** Step ids of a cycle every rejection must name. */
  cycle?: string[];
  /** Must be accepted (2xx). */
  accept?: boolean;
  /** Must be rejected (4xx). */
  reject?: boolean;
  /**
   * A JSON API body that is an object: an error about it must name a field
   * (an unknown key by its name). Any other value may be refused as a whole.
   */
  objectBody?: boolean;
}

function yamlCase(
  label: string,
  text: string,
  extra: Partial<Case> = {},
): Case {
  return {
    label,
    body: text,
    contentType: "application/yaml",
    parsed: yamlParses(text),
    ...extra,
  };
}

function jsonCase(
  label: string,
  text: string,
  extra: Partial<Case> = {},
): Case {
  return {
    label,
    body: text,
    contentType: "application/json",
    parsed: jsonParses(text),
    ...extra,
  };
}

function yamlParses(text: string): boolean {
  try {
    const doc = parseDocument(text, { version: "1.2" });
    return doc.errors.length === 0;
  } catch {
    return false;
  }
}

function jsonParses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function utf8(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

function decoded(body: string | Uint8Array): string {
  return typeof body === "string" ? body : new TextDecoder().decode(body);
}

/** Every generated pipeline document, in a fixed order. */
function* pipelineCases(rng: Rng): Generator<Case> {
  const validJson = JSON.stringify(VALID);
  yield jsonCase("valid JSON", validJson, { accept: true });
  yield yamlCase("valid YAML", stringify(VALID), { accept: true });
  yield yamlCase("valid hand-written YAML", HAND_YAML, { accept: true });
  yield yamlCase("valid YAML with a BOM", "\ufeff" + stringify(VALID));

  for (let i = 0; i < 1200; i++) {
    yield yamlCase(`random YAML tokens #${i}`, randomTokens(rng));
  }
  for (let i = 0; i < 200; i++) {
    yield jsonCase(`random tokens as JSON #${i}`, randomTokens(rng));
  }
  for (let i = 0; i < 300; i++) {
    // Parsed documents of random shape: every error must carry a position.
    const value = rng.chance(0.5)
      ? randomJson(rng)
      : { ...VALID, [rng.pick(Object.keys(VALID))]: randomJson(rng) };
    yield rng.chance(0.5)
      ? yamlCase(`random YAML value #${i}`, stringify(value))
      : jsonCase(`random JSON value #${i}`, JSON.stringify(value));
  }

  for (let length = 0; length < HAND_YAML.length; length++) {
    yield yamlCase(`hand YAML cut at ${length}`, HAND_YAML.slice(0, length));
  }
  for (let length = 0; length < validJson.length; length++) {
    yield jsonCase(`JSON cut at ${length}`, validJson.slice(0, length));
  }

  const depth = 10_000;
  yield yamlCase(
    "10k nested flow lists",
    "[".repeat(depth) + "]".repeat(depth),
  );
  yield jsonCase(
    "10k nested JSON lists",
    "[".repeat(depth) + "]".repeat(depth),
  );
  yield yamlCase(
    "10k nested flow maps",
    "{a: ".repeat(depth) + "1" + "}".repeat(depth),
  );
  yield jsonCase(
    "10k nested JSON objects",
    '{"a":'.repeat(depth) + "1" + "}".repeat(depth),
  );
  yield yamlCase("10k nested block lists", "- ".repeat(depth) + "x\n");
  yield yamlCase(
    "2k nested block maps",
    Array.from({ length: 2000 }, (_, i) => `${" ".repeat(i)}a:`).join("\n") +
      " 1\n",
  );
  yield yamlCase("10k unclosed lists", "[".repeat(depth));
  yield jsonCase(
    "10k nested config",
    JSON.stringify({
      ...VALID,
      name: "deep_config",
      steps: [{
        ...VALID.steps[0],
        config: JSON.parse('{"a":'.repeat(depth) + "1" + "}".repeat(depth)),
      }, VALID.steps[1]],
    }),
  );
  yield jsonCase("199-step chain", JSON.stringify(chainDefinition(199)), {
    accept: true,
  });
  yield jsonCase("20k-step chain", JSON.stringify(chainDefinition(20_000)), {
    reject: true,
  });
  yield yamlCase("5k-step chain", stringify(chainDefinition(5_000)), {
    reject: true,
  });

  const huge = (n: number) => "a".repeat(n);
  yield yamlCase("900 KB name", `name: ${huge(900_000)}\nsteps: []\n`, {
    reject: true,
  });
  yield jsonCase(
    "900 KB description",
    JSON.stringify({ ...VALID, description: huge(900_000) }),
    { reject: true },
  );
  yield yamlCase("1.5 MB name", `name: ${huge(1_500_000)}\nsteps: []\n`, {
    reject: true,
  });
  yield jsonCase(
    "2 MB description",
    JSON.stringify({ ...VALID, description: huge(2_000_000) }),
    { reject: true },
  );
  yield yamlCase("900 KB key", `${huge(900_000)}: 1\n`, { reject: true });
  yield yamlCase("900 KB comment", `# ${huge(900_000)}\n${HAND_YAML}`);
  yield yamlCase("500k empty lines", "\n".repeat(500_000) + "name: [");
  yield jsonCase(
    "1 MB of escapes",
    JSON.stringify({ ...VALID, description: "\u0000".repeat(200_000) }),
    { reject: true },
  );
  yield yamlCase(
    "8 MB document",
    `name: x\ndescription: ${huge(8_000_000)}\n`,
    {
      reject: true,
    },
  );

  const paths = [...pathsOf(VALID)];
  for (const path of paths) {
    const original = getAt(VALID, path);
    for (const wrong of WRONG_VALUES) {
      const mutated = setAt(VALID, path, wrong);
      const related = jsonType(wrong) !== jsonType(original)
        ? path.join(".")
        : undefined;
      const label = `${path.join(".") || "(root)"} = ${JSON.stringify(wrong)}`;
      yield rng.chance(0.5)
        ? yamlCase(`wrong type YAML ${label}`, stringify(mutated), { related })
        : jsonCase(`wrong type JSON ${label}`, JSON.stringify(mutated), {
          related,
        });
    }
  }

  for (let length = 2; length <= 50; length++) {
    const definition = cycleDefinition(length);
    const cycle = definition.steps.map((step) => step.id);
    yield yamlCase(`cycle of ${length} in YAML`, stringify(definition), {
      cycle,
      reject: true,
    });
    yield jsonCase(`cycle of ${length} in JSON`, JSON.stringify(definition), {
      cycle,
      reject: true,
    });
  }
  yield yamlCase(
    "self-need",
    "name: selfish\nsteps:\n  - {id: a, type: extract, connector: files, needs: [a]}\n",
    {
      cycle: ["a"],
      reject: true,
    },
  );

  const dup = (lines: string) => yamlCase(`duplicate keys: ${lines}`, lines);
  yield dup(`name: a\nname: b\n${HAND_YAML.split("\n").slice(2).join("\n")}`);
  yield dup(
    HAND_YAML.replace(
      "    type: extract\n",
      "    type: extract\n    type: load\n",
    ),
  );
  yield dup(HAND_YAML.replace("default: eu", "default: eu\n    default: us"));
  yield dup("{a: 1, a: 2}");
  yield dup("? [a]\n: 1\n? [a]\n: 2\n");
  yield jsonCase(
    "duplicate JSON keys",
    `{"name":"a","name":"b","steps":${JSON.stringify(VALID.steps)}}`,
  );
  yield yamlCase(
    "duplicate step ids",
    stringify({ ...VALID, steps: [VALID.steps[0], VALID.steps[0]] }),
    { reject: true },
  );

  const laughs = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
  for (let level = 1; level < 10; level++) {
    const prev = String.fromCharCode(96 + level);
    const next = String.fromCharCode(97 + level);
    laughs.push(`${next}: &${next} [${Array(9).fill(`*${prev}`).join(", ")}]`);
  }
  yield yamlCase("billion laughs", laughs.join("\n") + "\n");
  yield yamlCase(
    "billion laughs as the name and steps",
    laughs.join("\n") + "\nname: *j\nsteps: *j\n",
  );
  yield yamlCase(
    "alias as steps",
    `s: &s ${JSON.stringify(VALID.steps)}\nname: aliased\nsteps: *s\n`,
  );
  yield yamlCase(
    "merge-key bomb",
    `a: &a {x: 1}\nb: &b {<<: [*a, *a, *a]}\nc: {<<: [*b, *b, *b]}\n`,
  );
  yield yamlCase("undefined alias", "name: *nope\n");
  yield yamlCase("recursive alias", "a: &a [*a]\n");

  for (let i = 0; i < 300; i++) {
    const bytes = randomBytes(rng);
    const contentType = rng.chance(0.5)
      ? "application/yaml"
      : "application/json";
    // Invalid UTF-8 is not text: it cannot parse.
    const text = utf8(bytes);
    yield {
      label: `random bytes #${i} as ${contentType}`,
      body: bytes,
      contentType,
      parsed: text !== null &&
        (contentType === "application/json"
          ? jsonParses(text)
          : yamlParses(text)),
    };
  }
  for (
    const contentType of [
      "text/yaml",
      "application/x-yaml",
      "application/json; charset=utf-8",
    ]
  ) {
    yield { ...yamlCase(`valid as ${contentType}`, validJson), contentType };
  }
  yield {
    ...yamlCase("text/plain body", HAND_YAML),
    contentType: "text/plain",
  };
  yield { ...yamlCase("no content type", HAND_YAML), contentType: undefined };
}

/** What went wrong, grouped by kind, with a few cases of each to replay. */
class Findings {
  count = 0;
  #kinds = new Map<string, { count: number; samples: string[] }>();
  add(c: Case, problem: string) {
    this.count++;
    // The kind: the problem without its numbers and quoted values.
    const kind = problem.replace(/\d+/g, "N").replace(/"[^"]*"/g, '"…"')
      .slice(0, 70);
    const entry = this.#kinds.get(kind) ?? { count: 0, samples: [] };
    this.#kinds.set(kind, entry);
    entry.count++;
    if (entry.samples.length < 3) {
      const input = JSON.stringify(decoded(c.body).slice(0, 120));
      entry.samples.push(
        `${c.label}: ${problem.slice(0, 400)}\n      input: ${input}`,
      );
    }
  }
  assertNone(what: string) {
    const report = [...this.#kinds].map(([kind, { count, samples }]) =>
      `${count} × ${kind}\n    ${samples.join("\n    ")}`
    );
    assert.equal(
      this.count,
      0,
      `${this.count} unsound answers to ${what}:\n  ${report.join("\n  ")}`,
    );
  }
}

// The loader lists the first 100 errors, then one line counting the rest:
// that line has no place of its own.
function isCountOfTheRest(
  error: { message?: unknown },
  index: number,
  errors: unknown[],
): boolean {
  return index === errors.length - 1 && index > 0 &&
    /^\d+ more errors? not shown$/.test(String(error.message));
}

function isPosition(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 1;
}

function related(a: string, b: string): boolean {
  return a === b || a === "" || b === "" || a.startsWith(`${b}.`) ||
    b.startsWith(`${a}.`);
}

/** Checks one answer; `pipeline` when the body was a pipeline document. */
async function checkAnswer(
  c: Case,
  response: Response,
  findings: Findings,
  pipeline: boolean,
) {
  const text = await response.text();
  const status = response.status;
  if (status >= 500) {
    findings.add(c, `${status} ${text.slice(0, 300)}`);
    return;
  }
  if (c.accept && (status < 200 || status > 299)) {
    findings.add(c, `expected 2xx, got ${status} ${text.slice(0, 300)}`);
  }
  if (c.reject && status < 400) {
    findings.add(c, `expected a rejection, got ${status}`);
  }
  if (status < 400) return;
  const type = response.headers.get("content-type") ?? "";
  if (!type.startsWith("application/problem+json")) {
    findings.add(c, `${status} as ${type}: ${text.slice(0, 200)}`);
    return;
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text);
  } catch {
    findings.add(c, `${status} problem+json that is not JSON`);
    return;
  }
  if (
    body.status !== status || typeof body.title !== "string" ||
    typeof body.detail !== "string"
  ) {
    findings.add(c, `${status} problem without status/title/detail: ${text}`);
    return;
  }
  // Refusals that are not about the body's content name no field: size,
  // media type, a missing resource or a permission.
  if (status !== 400 && status !== 422) return;
  const errors = body.errors;
  if (!Array.isArray(errors) || errors.length === 0) {
    findings.add(c, `${status} without errors: ${text.slice(0, 300)}`);
    return;
  }
  if (body.field !== errors[0]?.field) {
    findings.add(c, `field ${body.field} is not errors[0].field`);
  }
  const lines = decoded(c.body).split("\n").length;
  for (
    const [index, error] of (errors as Record<string, unknown>[]).entries()
  ) {
    if (isCountOfTheRest(error, index, errors)) continue;
    if (
      typeof error?.field !== "string" || typeof error.message !== "string" ||
      error.message === ""
    ) {
      findings.add(c, `malformed error ${JSON.stringify(error)}`);
      continue;
    }
    const positioned = isPosition(error.line) && isPosition(error.column);
    if (error.line !== undefined && !positioned) {
      findings.add(c, `bad position ${JSON.stringify(error)}`);
    }
    if (positioned && (error.line as number) > lines) {
      findings.add(c, `line ${error.line} past the end (${lines} lines)`);
    }
    if (
      error.field === "" && !positioned && (pipeline || c.objectBody)
    ) {
      findings.add(c, `names neither a path nor a position: ${error.message}`);
    }
    if (pipeline && c.parsed && !positioned) {
      findings.add(c, `no line/column: ${JSON.stringify(error)}`);
    }
  }
  const fields = (errors as { field: string }[]).map((e) => e.field);
  if (c.related !== undefined && !fields.some((f) => related(f, c.related!))) {
    findings.add(c, `no error at ${c.related}: ${fields.join(", ")}`);
  }
  if (c.cycle) {
    const messages = (errors as { message: string }[]).map((e) => e.message)
      .join("\n");
    const missing = c.cycle.filter((id) =>
      !new RegExp(`(^|[^a-z0-9_-])${id}($|[^a-z0-9_-])`).test(messages)
    );
    if (!/cycle/.test(messages) || missing.length > 0) {
      findings.add(c, `cycle not named (missing ${missing}): ${messages}`);
    }
  }
}

async function send(
  p: Platform,
  path: string,
  c: Case,
  method = "POST",
): Promise<Response> {
  const headers = new Headers();
  if (c.contentType) headers.set("content-type", c.contentType);
  return await p.fetch(path, { method, headers, body: c.body });
}

async function rss(): Promise<number> {
  // Give the GC idle time first: allocation-heavy bursts end right before.
  await new Promise((resolve) => setTimeout(resolve, 300));
  return Deno.memoryUsage().rss;
}

Deno.test("loadPipelineText() never throws on thousands of malformed documents and places every error", () => {
  const rng = new Rng(SEED);
  const findings = new Findings();
  let total = 0;
  const check = (c: Case) => {
    total++;
    const text = decoded(c.body);
    const format = c.contentType?.includes("json") ? "json" : "yaml";
    let result;
    try {
      result = loadPipelineText(text, format);
    } catch (error) {
      findings.add(c, `threw ${(error as Error)?.stack ?? error}`);
      return;
    }
    if (result.ok) {
      if (c.reject) findings.add(c, "accepted");
      if (typeof result.definition?.name !== "string") {
        findings.add(c, "accepted without a definition");
      }
      return;
    }
    if (c.accept) {
      findings.add(c, `rejected: ${JSON.stringify(result.errors.slice(0, 3))}`);
    }
    if (!Array.isArray(result.errors) || result.errors.length === 0) {
      findings.add(c, "rejected without errors");
      return;
    }
    for (const [index, error] of result.errors.entries()) {
      if (isCountOfTheRest(error, index, result.errors)) continue;
      const positioned = isPosition(error.line) && isPosition(error.column);
      if (typeof error.field !== "string" || !error.message) {
        findings.add(c, `malformed error ${JSON.stringify(error)}`);
      } else if (result.status !== 413 && !positioned) {
        findings.add(c, `no position: ${JSON.stringify(error)}`);
      }
    }
  };
  for (const c of pipelineCases(rng)) check(c);
  // More random documents than the server run sends: the loader is cheap.
  for (let i = 0; i < 15_000; i++) {
    const kind = rng.int(4);
    if (kind === 0) check(yamlCase(`extra tokens #${i}`, randomTokens(rng)));
    else if (kind === 1) {
      const text = rng.chance(0.5) ? HAND_YAML : stringify(VALID);
      const at = rng.int(text.length);
      // Cut, or splice a random token into, a valid document.
      check(yamlCase(
        `extra splice #${i}`,
        rng.chance(0.5)
          ? text.slice(0, at)
          : text.slice(0, at) + rng.pick(YAML_TOKENS) + text.slice(at),
      ));
    } else if (kind === 2) {
      const json = JSON.stringify(VALID);
      const at = rng.int(json.length);
      check(jsonCase(
        `extra JSON splice #${i}`,
        json.slice(0, at) + rng.pick(["", ",", "}", '"', "[", ":", "0"]) +
          json.slice(at + rng.int(3)),
      ));
    } else {
      const bytes = randomBytes(rng);
      check({
        label: `extra bytes #${i}`,
        body: bytes,
        contentType: "application/yaml",
        parsed: false,
      });
    }
  }
  assert.ok(total > 15_000, `only ${total} documents`);
  findings.assertNone("loadPipelineText()");
});

Deno.test("POST and PUT /api/v1/pipelines answer thousands of malformed documents with 4xx naming the place, in bounded memory", async () => {
  await using p = await startPlatform();
  const findings = new Findings();

  const created = await p.fetch("/api/v1/pipelines", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(VALID),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const { id } = await created.json();

  // Warm up (JIT, caches, the first versions) before the baseline.
  for (let i = 0; i < 20; i++) {
    await (await send(
      p,
      "/api/v1/pipelines?dry_run=1",
      yamlCase("warm", HAND_YAML),
    )).body?.cancel();
  }
  const before = await rss();
  let peak = before;
  let total = 0;
  const started = Date.now();
  const pass = async (seed: number) => {
    const rng = new Rng(seed);
    for (const c of pipelineCases(rng)) {
      total++;
      // Mostly dry runs (validation is the point); some real saves and
      // PUTs. What must be accepted goes by POST: a PUT may refuse a name.
      const roll = rng.next();
      const path = roll < 0.1
        ? "/api/v1/pipelines"
        : roll < 0.2 && !c.accept
        ? `/api/v1/pipelines/${id}?dry_run=1`
        : "/api/v1/pipelines?dry_run=1";
      const method = path.includes(`/${id}`) ? "PUT" : "POST";
      await checkAnswer(c, await send(p, path, c, method), findings, true);
      if (total % 250 === 0) peak = Math.max(peak, Deno.memoryUsage().rss);
    }
  };
  // The same documents twice: what a request leaks, it leaks twice.
  await pass(SEED ^ 0x9e3779b9);
  const middle = await rss();
  await pass(SEED ^ 0x9e3779b9);
  const after = await rss();
  const elapsed = Date.now() - started;

  const mb = (n: number) => `${Math.round(n / 1024 / 1024)} MB`;
  const growth = `RSS ${mb(before)} → ${mb(middle)} → ${mb(after)} (peak ${
    mb(peak)
  })`;
  console.log(`${total} documents in ${elapsed} ms; ${growth}`);
  const health = await p.fetch("/api/v1/health");
  assert.equal(health.status, 200);
  await health.body?.cancel();
  assert.ok(total > 6_000, `only ${total} documents`);
  assert.ok(after - before < MAX_RSS_GROWTH, growth);
  findings.assertNone("pipeline documents");
});

/** A JSON API route to fuzz, with a body shape to build near-valid bodies from. */
interface Endpoint {
  method: string;
  path: string;
  /** Key → plausible values (valid and invalid). */
  shape: Record<string, Json[]>;
}

function endpointBody(rng: Rng, endpoint: Endpoint): string {
  const kind = rng.int(10);
  if (kind === 0) return "";
  if (kind === 1) {
    const text = JSON.stringify(randomJson(rng));
    return text.slice(0, rng.int(text.length));
  }
  if (kind === 2) return randomTokens(rng);
  if (kind === 3) return JSON.stringify(randomJson(rng));
  const body: Record<string, Json> = {};
  for (const [key, values] of Object.entries(endpoint.shape)) {
    if (rng.chance(0.15)) continue;
    body[key] = rng.chance(0.75) ? rng.pick(values) : randomJson(rng);
  }
  if (rng.chance(0.1)) setKey(body, rng.pick(["extra", "id", "__proto__"]), 1);
  return JSON.stringify(body);
}

Deno.test("the JSON API answers random bodies and parameters with 4xx naming the field, never 5xx", async () => {
  await using p = await startPlatform();
  const rng = new Rng(SEED ^ 0x85ebca6b);
  const findings = new Findings();
  const victim = await p.createUser("viewer");
  const createdPipeline = await p.fetch("/api/v1/pipelines", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      ...VALID,
      name: "fuzz_runs",
      // Required parameters: a scheduled pipeline may not have them.
      schedule: undefined,
      params: {
        day: { type: "date" },
        region: { type: "enum", values: ["eu", "us"] },
        limit: { type: "number", default: 100 },
      },
    }),
  });
  assert.equal(
    createdPipeline.status,
    201,
    await createdPipeline.clone().text(),
  );
  const { id } = await createdPipeline.json();
  const connectors = await (await p.fetch("/api/v1/connectors")).json() as {
    id: number;
    name: string;
  }[];
  const files = connectors.find((c) => c.name === "files")!;

  const names = ["fuzz", "", "x".repeat(300), "UPPER", "a b", "ok_name"];
  const endpoints: Endpoint[] = [
    {
      method: "POST",
      path: "/api/v1/connectors",
      shape: {
        name: names,
        kind: ["postgres", "csv", "warehouse", "nope", ""],
        config: [{}, { host: "127.0.0.1", port: "x" }, { path: 1 }, []],
      },
    },
    {
      method: "PUT",
      path: `/api/v1/connectors/${files.id}`,
      shape: { name: names, kind: ["csv", "postgres"], config: [{}, null, []] },
    },
    {
      method: "POST",
      path: "/api/v1/tokens",
      shape: { name: names, expiresInDays: [1, 0, -5, 1.5, 4000, "7"] },
    },
    {
      method: "POST",
      path: "/api/v1/users",
      shape: {
        email: ["a@example.test", "not-an-email", "", "x@y"],
        name: names,
        role: ["viewer", "editor", "root", ""],
        password: ["short", "a long enough password 1", 12],
      },
    },
    {
      method: "PUT",
      path: `/api/v1/users/${victim.id}`,
      shape: {
        name: names,
        role: ["viewer", "operator", "god"],
        active: [true, "no", 0],
        password: ["short", null],
      },
    },
    {
      method: "POST",
      path: `/api/v1/pipelines/${id}/runs`,
      shape: {
        params: [
          {},
          { day: "2025-02-30" },
          { day: "2025-01-01", region: "mars" },
          { limit: "many", day: "2025-01-01", region: "eu" },
          { unknown: 1 },
          { day: ["2025-01-01"] },
        ],
      },
    },
    {
      method: "PUT",
      path: `/api/v1/pipelines/${id}/shares`,
      shape: { userIds: [[], [victim.id], [0], [-1], ["1"], [999_999]] },
    },
    {
      method: "POST",
      path: `/api/v1/pipelines/${id}/rollback`,
      shape: { version: [1, 0, -1, 99, "1", 1.5], message: ["x", 5] },
    },
    {
      method: "POST",
      path: "/api/v1/csv-loads",
      shape: {
        upload: ["nope", ""],
        path: ["/etc/passwd", "", 1],
        table: ["t", "", "x; drop table y"],
      },
    },
  ];

  let total = 0;
  for (const endpoint of endpoints) {
    for (let i = 0; i < 120; i++) {
      total++;
      const text = endpointBody(rng, endpoint);
      const c: Case = {
        label: `${endpoint.method} ${endpoint.path} #${i}`,
        body: text,
        contentType: "application/json",
        parsed: jsonParses(text),
        objectBody: jsonParses(text) && jsonType(JSON.parse(text)) === "object",
      };
      const response = await p.fetch(endpoint.path, {
        method: endpoint.method,
        headers: { "content-type": "application/json" },
        body: text,
      });
      await checkAnswer(c, response, findings, false);
    }
  }

  // Random path and query parameters of the read routes.
  const values = [
    "1",
    "0",
    "-1",
    "abc",
    "1.5",
    "99999999999999999999",
    "%00",
    "",
    `${id}`,
  ];
  for (let i = 0; i < 300; i++) {
    total++;
    const v = () => encodeURIComponent(rng.pick(values));
    const path = rng.pick([
      () => `/api/v1/pipelines/${v()}`,
      () => `/api/v1/pipelines/${id}/export?format=${v()}`,
      () => `/api/v1/pipelines/${id}/versions/${v()}`,
      () => `/api/v1/pipelines/${id}/diff?from=${v()}&to=${v()}`,
      () => `/api/v1/runs?limit=${v()}&pipeline_id=${v()}`,
      () => `/api/v1/runs/${v()}`,
      () => `/api/v1/users/${v()}`,
      () => `/api/v1/connectors/${v()}`,
      () => `/api/v1/audit?limit=${v()}`,
    ])();
    const c: Case = { label: `GET ${path}`, body: "", parsed: true };
    await checkAnswer(c, await p.fetch(path), findings, false);
  }

  const health = await p.fetch("/api/v1/health");
  assert.equal(health.status, 200);
  await health.body?.cancel();
  assert.ok(total > 1_000, `only ${total} requests`);
  findings.assertNone("API bodies and parameters");
});
