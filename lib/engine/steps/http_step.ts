// http: one request to an external API; the response becomes the step's
// dataset (a JSON array of objects: its rows; a JSON object: one row;
// anything else: one row { status, body }). Through a REST connector, its URL,
// headers and credentials are used, and only on its own origin.

import { stageDataset } from "../../dataset/dataset_store.ts";
import type { StepDefinition } from "../../pipeline/pipeline_schema.ts";
import { renderConfig } from "../../pipeline/template.ts";
import { loadRunContext, usesTemplates } from "../run_context.ts";
import {
  connectorUse,
  type StepContext,
  type StepResult,
} from "./step_context.ts";
import { RestConnector } from "../../../connectors/rest/rest_connector.ts";
import {
  inferColumns,
  type JsonRecord,
  rowMaker,
} from "../../../connectors/rest/records.ts";
import type { Column, RecordBatch } from "../../../connectors/types.ts";

type HttpStep = Extract<StepDefinition, { type: "http" }>;

/** Largest response body an http step reads (it is held in memory). */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
// Rows per staged batch.
const BATCH_ROWS = 1000;
// How much of an unexpected response's body its error shows.
const SHOWN_BODY_CHARS = 200;

/** Runs an http step. */
export async function runHttpStep(ctx: StepContext): Promise<StepResult> {
  const step = ctx.step as HttpStep;
  let { url, headers, body } = step;
  if (usesTemplates([url, headers, body])) {
    const context = await loadRunContext(ctx.deps.db, ctx.runId);
    ({ url, headers, body } = renderConfig({ url, headers, body }, context));
  }
  const sent = new Headers(headers);
  let payload: string | undefined;
  if (typeof body === "string") payload = body;
  else if (body !== undefined) {
    payload = JSON.stringify(body);
    if (!sent.has("content-type")) {
      sent.set("content-type", "application/json");
    }
  }
  const request = {
    method: step.method,
    url,
    headers: Object.fromEntries(sent),
    body: payload,
    signal: ctx.signal,
  };
  let response: Response;
  let shown: string;
  let redact = (text: string) => text;
  if (step.connector) {
    const connector = await ctx.deps.openConnector(
      step.connector,
      {},
      connectorUse(ctx),
    );
    try {
      if (!(connector instanceof RestConnector)) {
        throw new Error(
          `Cannot run step "${step.id}": connector "${step.connector}" is not a REST API connector`,
        );
      }
      redact = (text) => connector.redact(text);
      response = await connector.call(request);
      shown = response.url ? connector.show(new URL(response.url)) : url;
    } finally {
      await connector.close();
    }
  } else {
    const absolute = absoluteUrl(step.id, url);
    shown = absolute.href;
    response = await fetch(absolute, {
      method: step.method,
      headers: sent,
      body: payload,
      signal: ctx.signal,
    });
  }
  await ctx.log("info", `${step.method} ${redact(shown)} → ${response.status}`);
  const text = redact(await readBody(step.id, response, ctx.signal));
  const expected = step.expect_status;
  const ok = expected
    ? expected.includes(response.status)
    : response.status >= 200 && response.status < 300;
  if (!ok) {
    const wanted = expected
      ? `status ${expected.join(" or ")}`
      : "a 2xx status";
    throw new Error(
      `expected ${wanted}, got ${response.status}: ${
        text.slice(0, SHOWN_BODY_CHARS)
      }`,
    );
  }
  const { columns, rows } = responseRows(response.status, text);
  const dataset = await stageDataset(ctx.datasetDir, batchesOf(columns, rows), {
    signal: ctx.signal,
  });
  await ctx.log("info", `response gave ${rows.length} rows`);
  return { rowsIn: 0, rowsOut: rows.length, dataset };
}

function absoluteUrl(stepId: string, url: string): URL {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    // Reported below.
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol)) {
    throw new Error(
      `Cannot run step "${stepId}": url ${
        JSON.stringify(url)
      } must be an absolute http(s) URL, or name a REST connector to be relative to`,
    );
  }
  return parsed;
}

// Reads the whole body, refusing past MAX_RESPONSE_BYTES instead of running
// the worker out of memory.
async function readBody(
  stepId: string,
  response: Response,
  signal: AbortSignal,
): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    while (true) {
      signal.throwIfAborted();
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > MAX_RESPONSE_BYTES) {
        throw new Error(
          `Cannot run step "${stepId}": the response is larger than ${
            MAX_RESPONSE_BYTES / 1024 / 1024
          } MiB`,
        );
      }
      parts.push(value);
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return new TextDecoder().decode(all);
}

/** The rows a response body stands for (see the file comment). */
export function responseRows(
  status: number,
  text: string,
): { columns: Column[]; rows: unknown[][] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const isObject = (v: unknown): v is JsonRecord =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  let records: JsonRecord[] | undefined;
  if (Array.isArray(json) && json.every(isObject)) records = json;
  else if (isObject(json)) records = [json];
  if (!records) {
    return {
      columns: [{ name: "status", type: "bigint" }, {
        name: "body",
        type: "text",
      }],
      rows: [[status, text]],
    };
  }
  // Every record is at hand, so the columns cover all keys and the REST
  // source's `_extra` overflow column is left out.
  const withExtra = inferColumns(records);
  const toRow = rowMaker(withExtra);
  return {
    columns: withExtra.slice(0, -1),
    rows: records.map((record) => toRow(record).slice(0, -1)),
  };
}

async function* batchesOf(
  columns: Column[],
  rows: unknown[][],
): AsyncGenerator<RecordBatch> {
  if (rows.length === 0) yield { columns, rows };
  for (let i = 0; i < rows.length; i += BATCH_ROWS) {
    yield { columns, rows: rows.slice(i, i + BATCH_ROWS) };
  }
}
