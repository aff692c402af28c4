// Sends the REST source's requests: rate limit, per-attempt timeout, retries
// with exponential backoff or Retry-After, and statuses turned into typed errors.

import {
  AuthError,
  ConnectionError,
  ConnectorError,
  DataError,
  SchemaError,
} from "../errors.ts";
import { log, type Logger } from "../../lib/log/logger.ts";
import { redactSecrets } from "../../lib/secrets/redact.ts";

/** Waits `ms` milliseconds; rejects with the signal's reason when aborted. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Options for {@linkcode HttpClient}. */
export interface HttpClientOptions {
  /** Retries after a failed attempt (429, 5xx, timeout, network error). */
  retries: number;
  /** First backoff, doubled at each retry. */
  backoffSeconds: number;
  /** Cap on any one wait before a retry, Retry-After included. */
  maxWaitSeconds: number;
  /** Limit of one attempt, the body included. */
  timeoutSeconds: number;
  /** Most requests started per second; unlimited when not set. */
  ratePerSecond?: number;
  /** Values removed from every message and log line. */
  secrets?: string[];
  /** Query parameters whose value is shown as `***` (an API key). */
  hiddenParams?: string[];
  /** Replaceable so tests record waits instead of waiting. */
  sleep?: Sleep;
  /** Milliseconds since the epoch; replaceable with `sleep` in tests. */
  now?: () => number;
  /** Where retries are reported (default: the process logger). */
  logger?: Logger;
}

/** One request; `page` (1-based) is only used in messages. */
export interface HttpRequest {
  url: URL;
  method: "GET" | "POST";
  headers: Headers;
  body?: string;
  page: number;
  signal?: AbortSignal;
}

/** A successful response with its parsed JSON body. */
export interface JsonResponse {
  status: number;
  headers: Headers;
  json: unknown;
}

/** Waits with `setTimeout`, abortable. */
export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** Sends JSON requests to one API with retries, timeouts and a rate limit. */
export class HttpClient {
  #options: HttpClientOptions;
  #sleep: Sleep;
  #now: () => number;
  #logger: Logger;
  // When the next request may start: a token bucket holding one token.
  #nextStart = 0;

  constructor(options: HttpClientOptions) {
    this.#options = options;
    this.#sleep = options.sleep ?? realSleep;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger ?? log;
  }

  /** `url` as it may be shown: no user info, hidden parameters as `***`, secrets redacted. */
  show(url: URL): string {
    const shown = new URL(url);
    shown.username = "";
    shown.password = "";
    for (const name of this.#options.hiddenParams ?? []) {
      if (shown.searchParams.has(name)) shown.searchParams.set(name, "***");
    }
    return this.redact(shown.href);
  }

  /** `text` without any of the secrets. */
  redact(text: string): string {
    return redactSecrets(text, this.#options.secrets ?? []);
  }

  /** Sends `request` until it succeeds or fails for good, and parses the body as JSON. */
  async fetchJson(request: HttpRequest): Promise<JsonResponse> {
    const { retries, timeoutSeconds } = this.#options;
    const what = `Cannot fetch ${
      JSON.stringify(this.show(request.url))
    } (page ${request.page})`;
    for (let attempt = 1;; attempt++) {
      await this.#throttle(request.signal);
      const timeout = AbortSignal.timeout(timeoutSeconds * 1000);
      let failure: string;
      let retryAfter: number | undefined;
      try {
        const response = await fetch(request.url, {
          method: request.method,
          headers: request.headers,
          body: request.body,
          signal: request.signal
            ? AbortSignal.any([request.signal, timeout])
            : timeout,
        });
        const text = await response.text();
        const status = `HTTP ${response.status}${
          response.statusText ? ` ${response.statusText}` : ""
        }`;
        if (response.ok) {
          return {
            status: response.status,
            headers: response.headers,
            json: this.#parse(text, what),
          };
        }
        if (response.status !== 429 && response.status < 500) {
          throw statusError(response.status, this.redact(`${what}: ${status}`));
        }
        failure = status;
        retryAfter = retryAfterMs(
          response.headers.get("retry-after"),
          this.#now(),
        );
      } catch (error) {
        if (error instanceof ConnectorError) throw error;
        if (request.signal?.aborted) throw request.signal.reason;
        failure = timeout.aborted
          ? `timeout after ${timeoutSeconds} s`
          : networkFailure(error);
      }
      if (attempt > retries) {
        const tries = attempt > 1 ? ` (gave up after ${attempt} attempts)` : "";
        throw new ConnectionError(this.redact(`${what}: ${failure}${tries}`));
      }
      const wait = this.#wait(attempt, retryAfter);
      this.#logger.warn("Retrying a REST API request", {
        url: this.show(request.url),
        page: request.page,
        attempt,
        reason: this.redact(failure),
        wait_ms: wait,
      });
      await this.#sleep(wait, request.signal);
    }
  }

  // The server's Retry-After when it sent one, else exponential backoff;
  // capped either way so a bad header cannot stall a run for hours.
  #wait(attempt: number, retryAfter: number | undefined): number {
    const { backoffSeconds, maxWaitSeconds } = this.#options;
    const backoff = backoffSeconds * 1000 * 2 ** (attempt - 1);
    return Math.min(retryAfter ?? backoff, maxWaitSeconds * 1000);
  }

  async #throttle(signal?: AbortSignal): Promise<void> {
    const rate = this.#options.ratePerSecond;
    if (!rate) return;
    const now = this.#now();
    const start = Math.max(now, this.#nextStart);
    // Reserved before waiting, so concurrent reads share the limit.
    this.#nextStart = start + 1000 / rate;
    if (start > now) await this.#sleep(start - now, signal);
  }

  #parse(text: string, what: string): unknown {
    try {
      return JSON.parse(text);
    } catch (error) {
      // V8's message quotes the start of the body, which may hold part of a
      // secret that whole-secret redaction can't recognise: say where only.
      const detail = error instanceof SyntaxError
        ? jsonErrorPosition(error.message, text)
        : "unreadable";
      throw new DataError(
        this.redact(`${what}: response is not JSON (${detail})`),
        { cause: error },
      );
    }
  }
}

/**
 * Milliseconds to wait per a `Retry-After` header: delay-seconds or an
 * HTTP date (RFC 9110); undefined when absent or unreadable.
 */
export function retryAfterMs(
  header: string | null,
  now: number,
): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function statusError(status: number, message: string): ConnectorError {
  if (status === 401 || status === 403) return new AuthError(message);
  if (status === 404) return new SchemaError(message);
  return new ConnectorError(message);
}

// Deno says "fetch failed" and puts the reason, after the full URL (secrets
// and all), in the cause: keep the reason, drop the URL we already show.
function networkFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = error instanceof Error && error.cause instanceof Error
    ? error.cause.message.replace(
      /^error sending request for url \(.*?\): /,
      "",
    )
    : "";
  return cause ? `${message}: ${cause}` : message;
}

/** "at position N of M characters" from a JSON.parse error, without content. */
function jsonErrorPosition(message: string, text: string): string {
  const position = /position (\d+)/.exec(message)?.[1];
  return position
    ? `syntax error at position ${position} of ${text.length} characters`
    : `syntax error in ${text.length} characters`;
}
