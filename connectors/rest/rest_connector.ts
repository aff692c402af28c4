// The REST API source: one JSON endpoint, paginated, read page by page as
// record batches. Writing is not supported: REST is a source only for now.

import { ConnectorError, SchemaError } from "../errors.ts";
import type { Logger } from "../../lib/log/logger.ts";
import type {
  CheckResult,
  Column,
  Connector,
  DiscoveredTable,
  ReadRequest,
  RecordBatch,
  WriteRequest,
  WriteResult,
} from "../types.ts";
import type { RestConfig } from "./config.ts";
import { HttpClient, type Sleep } from "./http_client.ts";
import { fetchPages, type RequestTemplate } from "./pages.ts";
import {
  asRecord,
  inferColumns,
  isAfter,
  type JsonRecord,
  rowMaker,
} from "./records.ts";

/** Records per batch when the read request does not say. */
export const DEFAULT_BATCH_SIZE = 1000;

/** One request of an http step through a REST connector. */
export interface ApiCall {
  method: string;
  /** Absolute, or relative to the connector's URL. */
  url: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

/** Options for {@linkcode RestConnector}; tests replace the clock. */
export interface RestConnectorOptions {
  /** Waits before retries and for the rate limit (default: real timers). */
  sleep?: Sleep;
  /** Milliseconds since the epoch (default `Date.now`). */
  now?: () => number;
  /** Where retries are reported (default: the process logger). */
  logger?: Logger;
}

/**
 * Reads one REST endpoint as record batches. `read()` honours `batchSize`,
 * `cursor` and `signal`; columns come from the first batch's records, and
 * keys first seen later go to the `_extra` json column.
 */
export class RestConnector implements Connector {
  #config: RestConfig;
  #client: HttpClient;

  constructor(config: RestConfig, options: RestConnectorOptions = {}) {
    this.#config = config;
    this.#client = new HttpClient({
      retries: config.retries,
      backoffSeconds: config.retry_backoff_seconds,
      maxWaitSeconds: config.retry_max_wait_seconds,
      timeoutSeconds: config.timeout_seconds,
      ratePerSecond: config.rate_limit_per_second,
      secrets: secretsOf(config),
      hiddenParams: config.auth_type === "api_key" &&
          config.api_key_in === "query"
        ? [config.api_key_name]
        : [],
      ...options,
    });
  }

  /** Requests the first page; `version` is its status, e.g. "HTTP 200". */
  async check(): Promise<CheckResult> {
    const pages = fetchPages(this.#client, this.#template(), this.#config);
    // Leaving the loop ends the generator: no second page is requested.
    for await (const page of pages) {
      return { ok: true, version: `HTTP ${page.status}` };
    }
    throw new ConnectorError("REST API check got no response");
  }

  /** One table named after the endpoint, with the columns of its first batch. */
  async discover(): Promise<DiscoveredTable[]> {
    let columns: Column[] = [];
    for await (const batch of this.read()) {
      columns = batch.columns;
      break;
    }
    return [{ name: endpointName(this.#config.url), columns }];
  }

  /**
   * Streams the records in batches of `batchSize`. With a cursor, `after` is
   * sent as `cursor_param` (when configured) and records are also filtered
   * here, so only those whose `field` is greater than `after` come out. No
   * record at all yields one empty batch without columns.
   */
  async *read(request: ReadRequest = {}): AsyncGenerator<RecordBatch> {
    const size = Math.max(1, request.batchSize ?? DEFAULT_BATCH_SIZE);
    const { cursor, signal } = request;
    const after = cursor?.after ?? null;
    const query = cursor && after !== null && this.#config.cursor_param
      ? { [this.#config.cursor_param]: String(after) }
      : {};
    const pages = fetchPages(this.#client, this.#template(query), {
      ...this.#config,
      signal,
    });
    let columns: Column[] | undefined;
    let toRow: ((record: JsonRecord) => unknown[]) | undefined;
    // Records of the first batch wait here until their columns are known.
    let sample: JsonRecord[] = [];
    let rows: unknown[][] = [];
    let checked = false;
    for await (const page of pages) {
      const where = `${
        JSON.stringify(this.#client.show(new URL(this.#config.url)))
      } (page ${page.number})`;
      for (let i = 0; i < page.records.length; i++) {
        const record = asRecord(page.records[i], where, i);
        if (cursor) {
          // A misspelt field would otherwise silently filter out everything.
          if (!checked && !Object.hasOwn(record, cursor.field)) {
            throw new SchemaError(
              `Cannot read ${where} incrementally: records have no cursor field ${
                JSON.stringify(cursor.field)
              }`,
            );
          }
          checked = true;
          if (!isAfter(record[cursor.field], after)) continue;
        }
        if (toRow) {
          rows.push(toRow(record));
          if (rows.length < size) continue;
          yield { columns: columns!, rows };
          rows = [];
        } else {
          sample.push(record);
          if (sample.length < size) continue;
          columns = inferColumns(sample);
          toRow = rowMaker(columns);
          yield { columns, rows: sample.map(toRow) };
          sample = [];
        }
      }
    }
    if (!columns) {
      const first = sample.length > 0 ? inferColumns(sample) : [];
      yield { columns: first, rows: sample.map(rowMaker(first)) };
    } else if (rows.length > 0) {
      yield { columns, rows };
    }
  }

  /** Not supported: REST is a source only. */
  write(
    _batches: AsyncIterable<RecordBatch>,
    _request: WriteRequest,
  ): Promise<WriteResult> {
    return Promise.reject(
      new ConnectorError(
        "REST API connector cannot write: it is a source only",
      ),
    );
  }

  /**
   * Sends one request (an http step's) with this API's headers, static query
   * and credentials. The URL resolves against the connector's URL and must
   * stay on its origin: the credentials are bound to it. Redirects are not
   * followed, so they cannot carry the credentials elsewhere either. No
   * retries here: the step's own `retries` apply.
   */
  async call(call: ApiCall): Promise<Response> {
    const config = this.#config;
    const base = new URL(config.url);
    let url: URL;
    try {
      url = new URL(call.url, base);
    } catch {
      throw new ConnectorError(
        `Cannot call ${JSON.stringify(this.redact(call.url))}: not a URL`,
      );
    }
    if (url.origin !== base.origin) {
      throw new ConnectorError(
        `Cannot call ${
          JSON.stringify(this.#client.show(url))
        }: a REST connector's credentials are only sent to its own origin ${base.origin}; use a URL on it or no connector`,
      );
    }
    const template = this.#template();
    for (
      const [name, value] of Object.entries({
        ...config.query,
        ...template.authQuery,
      })
    ) {
      url.searchParams.set(name, value);
    }
    const headers = new Headers(call.headers);
    for (const [name, value] of template.headers) {
      // The step's own Accept wins; the connector's headers and auth do not yield.
      if (name === "accept" && headers.has(name)) continue;
      if (name === "content-type") continue;
      headers.set(name, value);
    }
    const timeout = AbortSignal.timeout(config.timeout_seconds * 1000);
    try {
      return await fetch(url, {
        method: call.method,
        headers,
        body: call.body,
        redirect: "manual",
        signal: call.signal ? AbortSignal.any([call.signal, timeout]) : timeout,
      });
    } catch (error) {
      if (call.signal?.aborted) throw call.signal.reason;
      const reason = timeout.aborted
        ? `no response after ${config.timeout_seconds} s`
        : error instanceof Error
        ? error.message
        : String(error);
      throw new ConnectorError(
        `Cannot call ${JSON.stringify(this.#client.show(url))}: ${
          this.redact(reason)
        }`,
      );
    }
  }

  /** `text` without this connector's secrets. */
  redact(text: string): string {
    return this.#client.redact(text);
  }

  /** `url` as it may be shown (API key hidden, secrets redacted). */
  show(url: URL): string {
    return this.#client.show(url);
  }

  /** Nothing to release: each request stands alone. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  #template(query: Record<string, string> = {}): RequestTemplate {
    const config = this.#config;
    const url = new URL(config.url);
    for (const [name, value] of Object.entries({ ...config.query, ...query })) {
      url.searchParams.set(name, value);
    }
    const headers = new Headers({ accept: "application/json" });
    for (const [name, value] of Object.entries(config.headers)) {
      headers.set(name, value);
    }
    const authQuery: Record<string, string> = {};
    if (config.auth_type === "bearer") {
      headers.set("authorization", `Bearer ${config.token}`);
    } else if (config.auth_type === "basic") {
      headers.set("authorization", `Basic ${basicCredentials(config)}`);
    } else if (config.auth_type === "api_key") {
      if (config.api_key_in === "header") {
        headers.set(config.api_key_name, config.api_key ?? "");
      } else authQuery[config.api_key_name] = config.api_key ?? "";
    }
    let body: string | undefined;
    if (config.method === "POST" && config.body !== undefined) {
      body = JSON.stringify(config.body);
      headers.set("content-type", "application/json");
    }
    return { url, method: config.method, headers, body, authQuery };
  }
}

// "user:pass" in base64 over UTF-8: btoa alone fails beyond Latin-1.
function basicCredentials(config: RestConfig): string {
  const bytes = new TextEncoder().encode(
    `${config.username}:${config.password ?? ""}`,
  );
  return btoa(String.fromCharCode(...bytes));
}

// Every form a secret may take in a message: as is, URL-encoded (an API key
// in the query), and the basic credentials in base64.
function secretsOf(config: RestConfig): string[] {
  const secrets: string[] = [];
  for (const value of [config.token, config.password, config.api_key]) {
    if (!value) continue;
    secrets.push(
      value,
      encodeURIComponent(value),
      new URLSearchParams({ v: value }).toString().slice(2),
    );
  }
  if (config.auth_type === "basic") secrets.push(basicCredentials(config));
  return secrets;
}

// "https://api.example.com/v1/orders.json" → "orders"
function endpointName(url: string): string {
  const parsed = new URL(url);
  const segments = parsed.pathname.split("/").filter((s) => s !== "");
  const last = segments.at(-1);
  if (!last) return parsed.hostname;
  let name = last;
  try {
    name = decodeURIComponent(last);
  } catch {
    // A malformed escape stays as written.
  }
  return name.replace(/\.json$/i, "") || parsed.hostname;
}
