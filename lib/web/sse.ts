// Server-Sent Events: turns an async iterable of events into a streaming
// `text/event-stream` response.

/** One event: `data` is sent as JSON. */
export interface SseEvent {
  event?: string;
  data: unknown;
  id?: string;
}

/** Options of {@linkcode sseResponse}. */
export interface SseOptions {
  /** Stops the stream, e.g. `ctx.req.signal` (aborted when the client goes away). */
  signal?: AbortSignal;
  /** Interval of `: keep-alive` comments, so proxies don't close an idle stream; default 15 s. */
  keepAliveMs?: number;
  /** Extra response headers. */
  headers?: HeadersInit;
}

/** Encode one event in the text/event-stream format. */
export function formatSseEvent(event: SseEvent): string {
  let text = "";
  for (const field of ["event", "id"] as const) {
    const value = event[field];
    if (value === undefined) continue;
    if (/[\r\n]/.test(value)) {
      throw new TypeError(
        `Cannot send SSE ${field} "${value}": it contains a line break`,
      );
    }
    text += `${field}: ${value}\n`;
  }
  // JSON.stringify escapes line breaks, so data always fits on one line.
  return text + `data: ${JSON.stringify(event.data) ?? "null"}\n\n`;
}

/**
 * Stream `source` as Server-Sent Events. The source is closed (its
 * `return()` called) when the client disconnects or `signal` aborts.
 */
export function sseResponse(
  source: AsyncIterable<SseEvent>,
  options: SseOptions = {},
): Response {
  const encoder = new TextEncoder();
  const iterator = source[Symbol.asyncIterator]();
  let timer: ReturnType<typeof setInterval> | undefined;
  let done = false;
  let stop = () => {};

  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      stop = () => {
        if (done) return;
        done = true;
        clearInterval(timer);
        options.signal?.removeEventListener("abort", onAbort);
        // Not awaited: a generator stuck in an await finishes on its own.
        iterator.return?.().catch(() => {});
      };
      const onAbort = () => {
        if (done) return;
        stop();
        controller.close();
      };
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener("abort", onAbort);
      timer = setInterval(
        () => controller.enqueue(encoder.encode(": keep-alive\n\n")),
        options.keepAliveMs ?? 15_000,
      );
    },
    async pull(controller) {
      try {
        const next = await iterator.next();
        if (done) return; // closed while we were waiting
        if (next.done) {
          stop();
          controller.close();
        } else controller.enqueue(encoder.encode(formatSseEvent(next.value)));
      } catch (error) {
        if (done) return;
        stop();
        controller.error(error);
      }
    },
    cancel() {
      stop(); // the client disconnected
    },
  });

  const headers = new Headers(options.headers);
  headers.set("content-type", "text/event-stream; charset=utf-8");
  headers.set("cache-control", "no-cache");
  return new Response(body, { headers });
}
