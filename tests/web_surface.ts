// Test helper for the security tests (CSRF, XSS, secret leaks): enumerates
// the app's GET routes with real ids substituted, fetches them, and captures
// the process's console (where the structured logger writes).

import assert from "node:assert/strict";
import type { Db } from "../lib/db/db.ts";
import type { Platform } from "./harness.ts";
import { createApp } from "../app.ts";

/** Posts JSON as the admin and returns the parsed answer (asserts a 2xx). */
export async function postJson<T = Record<string, unknown>>(
  p: Platform,
  path: string,
  body: unknown,
  method = "POST",
): Promise<T> {
  const response = await p.fetch(path, {
    method,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(
    response.status < 300,
    `${method} ${path}: ${response.status} ${text}`,
  );
  return JSON.parse(text) as T;
}

/** Creates a pipeline, runs it and waits for the run to end; returns the run id and its view. */
export async function runPipeline(p: Platform, definition: unknown) {
  const pipeline = await postJson<{ id: number }>(
    p,
    "/api/v1/pipelines",
    definition,
  );
  const { id: runId } = await postJson<{ id: number }>(
    p,
    `/api/v1/pipelines/${pipeline.id}/runs`,
    {},
  );
  const run = await p.waitForRun(runId);
  return { pipelineId: pipeline.id, runId, run };
}

/** The ids a route parameter can take, by the literal segment before it. */
interface Ids {
  connectors: number[];
  pipelines: number[];
  runs: number[];
  users: number[];
  tokens: number[];
  /** Task ids by run id. */
  tasks: Map<number, number[]>;
  /** Version numbers by pipeline id. */
  versions: Map<number, number[]>;
}

/** Every id of every resource a route can name, read from the database. */
export async function knownIds(db: Db): Promise<Ids> {
  const ids = async (sql: string) =>
    (await db.query<{ id: number }>(sql)).map((r) => Number(r.id));
  const tasks = new Map<number, number[]>();
  for (
    const row of await db.query<{ id: number; run: number }>(
      "select id, pipeline_run_id as run from task_run order by id",
    )
  ) {
    const list = tasks.get(Number(row.run)) ?? [];
    list.push(Number(row.id));
    tasks.set(Number(row.run), list);
  }
  const versions = new Map<number, number[]>();
  for (
    const row of await db.query<{ version: number; pipeline: number }>(
      "select version, pipeline_id as pipeline from pipeline_version order by pipeline_id, version",
    )
  ) {
    const list = versions.get(Number(row.pipeline)) ?? [];
    list.push(Number(row.version));
    versions.set(Number(row.pipeline), list);
  }
  return {
    connectors: await ids("select id from connector order by id"),
    pipelines: await ids("select id from pipeline order by id"),
    runs: await ids("select id from pipeline_run order by id"),
    users: await ids("select id from app_user order by id"),
    tokens: await ids("select id from api_token order by id"),
    tasks,
    versions,
  };
}

/** Route patterns answering GET, from the real app (bundles under /_frsh excluded). */
export async function getRoutePatterns(p: Platform): Promise<string[]> {
  const app = await createApp(p.services);
  return app.routes()
    .filter((r) => r.methods === null || r.methods.includes("GET"))
    .map((r) => r.path)
    .filter((path) => !path.startsWith("/_frsh/"));
}

/**
 * Every concrete path of `pattern`: each `:param` replaced by every real id
 * it can name (`:taskId` by the tasks of the run before it, `:version` by
 * the versions of the pipeline before it). A parameter
 * this helper cannot fill fails the test, so a new route is not silently
 * left out of the security checks.
 */
export function expandPattern(pattern: string, ids: Ids): string[] {
  const segments = pattern.split("/").slice(1);
  const out: string[] = [];
  const walk = (i: number, done: string[], lastId: number | undefined) => {
    if (i === segments.length) {
      out.push("/" + done.join("/"));
      return;
    }
    const segment = segments[i];
    if (!segment.startsWith(":")) {
      walk(i + 1, [...done, segment], lastId);
      return;
    }
    let values: number[];
    if (segment === ":taskId") {
      values = ids.tasks.get(lastId!) ?? [];
    } else if (segment === ":version") {
      values = ids.versions.get(lastId!) ?? [];
    } else if (segment === ":id") {
      const owner = segments[i - 1] as keyof Ids;
      const list = ids[owner];
      if (!Array.isArray(list)) {
        throw new Error(
          `The security tests cannot fill ${segment} of ${pattern}: teach tests/web_surface.ts which ids it takes`,
        );
      }
      values = list;
    } else {
      throw new Error(
        `The security tests cannot fill ${segment} of ${pattern}: teach tests/web_surface.ts which ids it takes`,
      );
    }
    for (const value of values) walk(i + 1, [...done, String(value)], value);
  };
  walk(0, [], undefined);
  return out;
}

/** Whether a route pattern is a page (HTML) rather than the JSON API. */
export function isPage(pattern: string): boolean {
  return !pattern.startsWith("/api/");
}

/** One fetched GET. */
export interface Fetched {
  path: string;
  status: number;
  contentType: string;
  body: string;
}

/**
 * GETs `path` through `fetcher`. Event streams (`text/event-stream`) are
 * read for at most `streamMs` and then cancelled: a finished run's stream
 * ends by itself, a live one would not.
 */
export async function fetchText(
  fetcher: (path: string, init?: RequestInit) => Promise<Response>,
  path: string,
  streamMs = 3000,
): Promise<Fetched> {
  const abort = new AbortController();
  const response = await fetcher(path, { signal: abort.signal });
  const contentType = response.headers.get("content-type") ?? "";
  let body = "";
  if (contentType.startsWith("text/event-stream") && response.body) {
    const reader = response.body.pipeThrough(new TextDecoderStream())
      .getReader();
    const deadline = setTimeout(() => abort.abort(), streamMs);
    try {
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        body += value;
      }
    } catch {
      // Cancelled at the deadline: keep what was read.
    } finally {
      clearTimeout(deadline);
    }
  } else {
    body = await response.text();
  }
  return { path, status: response.status, contentType, body };
}

/** Every line written to the console while capturing (the logger writes JSON lines there). */
export interface ConsoleCapture extends Disposable {
  lines: string[];
}

/**
 * Captures console.log/info/warn/error/debug (passed through too unless
 * `passThrough` is false): `lib/log/logger.ts` sends its JSON lines to
 * `console.log` by default, and the web layer reports unexpected errors
 * with `console.error`.
 */
export function captureConsole(
  { passThrough = true }: { passThrough?: boolean } = {},
): ConsoleCapture {
  const lines: string[] = [];
  const methods = ["log", "info", "warn", "error", "debug"] as const;
  const originals = methods.map((m) => console[m]);
  for (const m of methods) {
    const original = console[m];
    console[m] = (...args: unknown[]) => {
      lines.push(
        args.map((a) =>
          typeof a === "string"
            ? a
            : a instanceof Error
            ? `${a.message}\n${a.stack}`
            : Deno.inspect(a, { depth: 10 })
        ).join(" "),
      );
      if (passThrough) original.apply(console, args);
    };
  }
  return {
    lines,
    [Symbol.dispose]() {
      methods.forEach((m, i) => (console[m] = originals[i]));
    },
  };
}

/** HTML-escaping as preact-render-to-string does it in text and attributes (`"`, `&`, `<`). */
export function htmlEscaped(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll('"', "&quot;")
    .replaceAll("<", "&lt;");
}
