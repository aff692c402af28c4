// Downloads a file over HTTP(S) for the files source, as a stream: the
// server fetches it, so a timeout guards each wait and no secret in the URL
// ever reaches a message.

import {
  AuthError,
  ConnectionError,
  ConnectorError,
  SchemaError,
} from "../errors.ts";
import { shownUrl } from "./file_format.ts";

/** Options for {@linkcode fetchFile}. */
export interface FetchFileOptions {
  /** Longest wait for the response headers, then for each body chunk. */
  timeoutMs: number;
  /** Stops the download; the read rejects with the signal's reason. */
  signal?: AbortSignal;
  /** The format named in error messages, e.g. "NDJSON". */
  label: string;
}

/** A download under way. */
export interface FetchedFile {
  /** The body, already decoded from any Content-Encoding by fetch. */
  body: ReadableStream<Uint8Array>;
  contentType: string | null;
}

/**
 * Starts downloading `url` (http or https only). A non-2xx status is a
 * `SchemaError` (404, 410), an `AuthError` (401, 403) or a `ConnectionError`
 * (the rest), each with the status; so is a timeout or a network failure.
 */
export async function fetchFile(
  url: string,
  options: FetchFileOptions,
): Promise<FetchedFile> {
  const { timeoutMs, signal, label } = options;
  const prefix = `Cannot read ${label} ${JSON.stringify(shownUrl(url))}`;
  const protocol = URL.canParse(url) ? new URL(url).protocol : "";
  if (protocol !== "http:" && protocol !== "https:") {
    throw new ConnectorError(`${prefix}: only http and https URLs can be read`);
  }
  const timeout = new AbortController();
  const both = signal
    ? AbortSignal.any([signal, timeout.signal])
    : timeout.signal;
  const seconds = `${timeoutMs / 1000} s`;
  let timer = setTimeout(() => timeout.abort(), timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, { signal: both });
  } catch (error) {
    signal?.throwIfAborted();
    const detail = timeout.signal.aborted
      ? `no response within ${seconds}`
      : (error as Error).message;
    throw new ConnectionError(`${prefix}: ${detail}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw statusError(prefix, response);
  }
  const reader = response.body?.getReader();
  // Pulled, so the timer only runs while the reader waits on the server,
  // never while a slow consumer (a load into a database) holds the bytes.
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!reader) return controller.close();
      timer = setTimeout(() => timeout.abort(), timeoutMs);
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        signal?.throwIfAborted();
        const detail = timeout.signal.aborted
          ? `no data for ${seconds}`
          : `download failed: ${(error as Error).message}`;
        throw new ConnectionError(`${prefix}: ${detail}`, { cause: error });
      } finally {
        clearTimeout(timer);
      }
    },
    async cancel(reason) {
      await reader?.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return { body, contentType: response.headers.get("content-type") };
}

function statusError(prefix: string, response: Response): ConnectorError {
  const message = `${prefix}: HTTP ${response.status}${
    response.statusText ? ` ${response.statusText}` : ""
  }`;
  if (response.status === 404 || response.status === 410) {
    return new SchemaError(message);
  }
  if (response.status === 401 || response.status === 403) {
    return new AuthError(message);
  }
  return new ConnectionError(message);
}
