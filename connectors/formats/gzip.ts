// Gzip for record files: decompress on read (when told, or when the first
// bytes say so) and compress on write, as web streams so nothing is buffered.

// Every gzip member starts with these two bytes (RFC 1952).
const MAGIC_1 = 0x1f;
const MAGIC_2 = 0x8b;

/** Decompresses `stream` with gzip when `gzip` is true; otherwise returns it as is. */
export function maybeGunzip(
  stream: ReadableStream<Uint8Array>,
  gzip: boolean,
): ReadableStream<Uint8Array> {
  if (!gzip) return stream;
  // DecompressionStream is typed for ArrayBuffer-backed chunks only.
  return (stream as ReadableStream<Uint8Array<ArrayBuffer>>)
    .pipeThrough(new DecompressionStream("gzip"));
}

/** Compresses `stream` with gzip. */
export function gzipStream(
  stream: ReadableStream<Uint8Array>,
): ReadableStream<Uint8Array> {
  return (stream as ReadableStream<Uint8Array<ArrayBuffer>>)
    .pipeThrough(new CompressionStream("gzip"));
}

/** What {@linkcode peekGzip} found. */
export interface PeekedStream {
  /** The same bytes as the input, the peeked ones included. */
  stream: ReadableStream<Uint8Array>;
  /** The stream starts with the gzip magic number. */
  gzip: boolean;
}

/**
 * Tells whether `stream` is gzip data from its first two bytes, so a `.gz`
 * file, an `application/gzip` download and a plain file all read the same.
 * Reads ahead only until two bytes have arrived.
 */
export async function peekGzip(
  stream: ReadableStream<Uint8Array>,
): Promise<PeekedStream> {
  const reader = stream.getReader();
  const head: Uint8Array[] = [];
  let length = 0;
  while (length < 2) {
    const { done, value } = await reader.read();
    if (done) break;
    if (value.length === 0) continue;
    head.push(value);
    length += value.length;
  }
  const first = head[0]?.[0];
  const second = head[0]?.length > 1 ? head[0][1] : head[1]?.[0];
  const replayed = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of head) controller.enqueue(chunk);
    },
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return { stream: replayed, gzip: first === MAGIC_1 && second === MAGIC_2 };
}
