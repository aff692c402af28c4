// Walks the pages of a REST endpoint lazily: a page is requested only when the
// previous one has been consumed, so a read holds one page in memory.

import { DataError } from "../errors.ts";
import type { RestConfig } from "./config.ts";
import type { HttpClient } from "./http_client.ts";

/** The parts of the configuration pagination depends on. */
export type PaginationConfig = Pick<
  RestConfig,
  | "pagination"
  | "page_param"
  | "page_start"
  | "page_size_param"
  | "page_size"
  | "offset_param"
  | "limit_param"
  | "limit"
  | "next_token_path"
  | "next_token_param"
  | "records_path"
>;

/** What every page's request starts from. */
export interface RequestTemplate {
  /** The first page's URL, static and incremental query parameters included. */
  url: URL;
  method: "GET" | "POST";
  headers: Headers;
  body?: string;
  /** Set on every request, next links included: an API key in the query. */
  authQuery: Record<string, string>;
}

/** One page of records. */
export interface Page {
  /** 1-based position of the page in this read. */
  number: number;
  status: number;
  records: unknown[];
}

/** Options for {@linkcode fetchPages}. */
export interface FetchPagesOptions {
  signal?: AbortSignal;
}

/** Yields the pages of the endpoint, following the configured pagination. */
export async function* fetchPages(
  client: HttpClient,
  template: RequestTemplate,
  config: PaginationConfig & FetchPagesOptions,
): AsyncGenerator<Page> {
  let url = template.url;
  let pageNumber = config.page_start;
  let offset = 0;
  let token: string | undefined;
  for (let number = 1;; number++) {
    const target = new URL(url);
    const params = target.searchParams;
    if (config.pagination === "page") {
      params.set(config.page_param, String(pageNumber));
      if (config.page_size_param && config.page_size) {
        params.set(config.page_size_param, String(config.page_size));
      }
    } else if (config.pagination === "offset") {
      params.set(config.offset_param, String(offset));
      params.set(config.limit_param, String(config.limit));
    } else if (config.pagination === "cursor" && token !== undefined) {
      params.set(config.next_token_param, token);
    }
    for (const [name, value] of Object.entries(template.authQuery)) {
      params.set(name, value);
    }
    const response = await client.fetchJson({
      url: target,
      method: template.method,
      headers: template.headers,
      body: template.body,
      page: number,
      signal: config.signal,
    });
    const where = `${JSON.stringify(client.show(target))} (page ${number})`;
    const records = recordsOf(response.json, config.records_path, where);
    yield { number, status: response.status, records };

    switch (config.pagination) {
      case "none":
        return;
      case "page":
        if (records.length === 0) return;
        if (config.page_size && records.length < config.page_size) return;
        pageNumber++;
        break;
      case "offset":
        if (records.length < config.limit) return;
        offset += records.length;
        break;
      case "cursor": {
        const next = valueAt(response.json, config.next_token_path ?? "");
        if (next === undefined || next === null || next === "") return;
        // A server handing back the same token would be read forever.
        if (String(next) === token) {
          throw new DataError(
            `Cannot read the next page of ${where}: the next token repeats`,
          );
        }
        token = String(next);
        break;
      }
      case "link": {
        const next = nextLink(response.headers.get("link"), target);
        if (!next) return;
        // Credentials go with every request: never to another server.
        if (next.origin !== template.url.origin) {
          throw new DataError(
            `Cannot follow the next link of ${where}: it leads to another origin ${
              JSON.stringify(next.origin)
            }`,
          );
        }
        url = next;
        break;
      }
    }
  }
}

/**
 * The value at a dotted `path` in `json` ("data.items"; "" or "$" is the
 * whole document, a leading "$." is allowed); undefined when missing.
 */
export function valueAt(json: unknown, path: string): unknown {
  const trimmed = path.trim().replace(/^\$\.?/, "");
  if (trimmed === "") return json;
  let current = json;
  for (const key of trimmed.split(".")) {
    if (typeof current !== "object" || current === null) return undefined;
    if (!Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** The URL of the `rel="next"` link of an RFC 8288 `Link` header, resolved against `base`. */
export function nextLink(header: string | null, base: URL): URL | undefined {
  if (!header) return undefined;
  for (const link of header.matchAll(/<([^>]*)>([^<]*)/g)) {
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(link[2]);
    // A link may have several relation types: rel="next last".
    const types = (rel?.[1] ?? rel?.[2] ?? "").toLowerCase().split(/\s+/);
    if (types.includes("next")) return new URL(link[1], base);
  }
  return undefined;
}

function recordsOf(json: unknown, path: string, where: string): unknown[] {
  const records = valueAt(json, path);
  if (Array.isArray(records)) return records;
  const hint = path.trim() === "" || path.trim() === "$"
    ? "the response is not an array: set records_path to the records' array, e.g. data.items"
    : `records_path ${JSON.stringify(path)} is not an array in the response`;
  throw new DataError(`Cannot read records of ${where}: ${hint}`);
}
