// The sandbox host's wire format on stdin/stdout: length-prefixed frames, each
// a small JSON header plus an optional binary body (a batch of rows as COPY
// text). Batches of thousands of rows travel as one body: no per-row messages.
// Shared by the host (workers/sandbox_host.ts) and the platform (lib/sandbox/).

/** One frame: `header.t` says what it is; `body` carries rows. */
export interface Frame {
  header: FrameHeader;
  body?: Uint8Array;
}

/** A frame's header. */
export type FrameHeader =
  // platform → host
  | { t: "init"; init: SandboxInit }
  | { t: "batch" }
  | { t: "end" }
  // host → Worker: an output chunk was written to stdout (backpressure)
  | { t: "written" }
  // host → platform
  | { t: "ready" }
  | { t: "rows"; count: number }
  | { t: "ack" }
  | { t: "log"; level: "info" | "warn" | "error"; message: string }
  | { t: "done"; rowsIn: number; rowsOut: number; columns: SandboxColumn[] }
  | { t: "error"; message: string };

/** A column of the rows going in or coming out (platform column types). */
export interface SandboxColumn {
  name: string;
  type: string;
}

/** What the host needs to load and run a step's code. */
export interface SandboxInit {
  stepId: string;
  code: string;
  language: "typescript" | "javascript";
  mode: "row" | "batch";
  params: Record<string, unknown>;
  run: { id: number; pipeline: string; scheduled_date: string };
  /** Columns of the input rows (their COPY text is decoded by these types). */
  columns: SandboxColumn[];
  /** Hosts the code may fetch (the Worker's `net` permission). */
  allowNet: string[];
  /** Bytes of log lines the code may print; then one "log truncated" line. */
  logCap: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
// A header this large is not ours: the stream is corrupt.
const MAX_HEADER_BYTES = 64 * 1024 * 1024;

/** Encodes one frame: u32 header length, u32 body length (LE), header, body. */
export function encodeFrame(
  header: FrameHeader,
  body?: Uint8Array,
): Uint8Array {
  const head = encoder.encode(JSON.stringify(header));
  const bodyLength = body?.length ?? 0;
  const out = new Uint8Array(8 + head.length + bodyLength);
  const view = new DataView(out.buffer);
  view.setUint32(0, head.length, true);
  view.setUint32(4, bodyLength, true);
  out.set(head, 8);
  if (body) out.set(body, 8 + head.length);
  return out;
}

/** Why a frame could not be read: a stream cut short, or bytes that are not ours. */
export class FrameError extends Error {
  constructor(readonly kind: "truncated" | "corrupt", message: string) {
    super(message);
    this.name = "FrameError";
  }
}

/** Options of a {@linkcode FrameReader}. */
export interface FrameReaderOptions {
  /** Largest body accepted, in bytes (a bigger one is an error, not read). */
  maxBodyBytes?: number;
}

/** Reads frames from a byte stream; `next()` is null at a clean end. */
export class FrameReader {
  #reader: ReadableStreamDefaultReader<Uint8Array>;
  #buffer = new Uint8Array(0);
  #maxBody: number;

  constructor(
    stream: ReadableStream<Uint8Array>,
    options: FrameReaderOptions = {},
  ) {
    this.#reader = stream.getReader();
    this.#maxBody = options.maxBodyBytes ?? Infinity;
  }

  /** The next frame, or null when the stream ended between frames. */
  async next(): Promise<Frame | null> {
    if (!(await this.#fill(8))) return null;
    const view = new DataView(
      this.#buffer.buffer,
      this.#buffer.byteOffset,
      8,
    );
    const headLength = view.getUint32(0, true);
    const bodyLength = view.getUint32(4, true);
    if (headLength > MAX_HEADER_BYTES) {
      throw new FrameError(
        "corrupt",
        "Cannot read sandbox frame: the stream is corrupt",
      );
    }
    if (bodyLength > this.#maxBody) {
      throw new FrameError(
        "corrupt",
        `Cannot read sandbox frame: its body of ${bodyLength} bytes is over the ${this.#maxBody}-byte limit`,
      );
    }
    const total = 8 + headLength + bodyLength;
    if (!(await this.#fill(total))) {
      throw new FrameError(
        "truncated",
        "Cannot read sandbox frame: the stream ended mid-frame",
      );
    }
    let header: FrameHeader;
    try {
      header = JSON.parse(
        decoder.decode(this.#buffer.subarray(8, 8 + headLength)),
      );
    } catch {
      throw new FrameError(
        "corrupt",
        "Cannot read sandbox frame: the stream is corrupt",
      );
    }
    const body = bodyLength > 0
      ? this.#buffer.slice(8 + headLength, total)
      : undefined;
    this.#buffer = this.#buffer.subarray(total);
    return { header, body };
  }

  /** Stops reading. */
  async cancel(): Promise<void> {
    await this.#reader.cancel().catch(() => {});
  }

  // Reads until `size` bytes are buffered; false if the stream ends first
  // (an error when some bytes were buffered). Chunks are joined once, not
  // on every read, so a large frame is copied once.
  async #fill(size: number): Promise<boolean> {
    if (this.#buffer.length >= size) return true;
    const chunks: Uint8Array[] = [this.#buffer];
    let length = this.#buffer.length;
    while (length < size) {
      const { value, done } = await this.#reader.read();
      if (done) {
        if (length === 0) return false;
        throw new FrameError(
          "truncated",
          "Cannot read sandbox frame: the stream ended mid-frame",
        );
      }
      chunks.push(value);
      length += value.length;
    }
    const joined = new Uint8Array(length);
    let offset = 0;
    for (const chunk of chunks) {
      joined.set(chunk, offset);
      offset += chunk.length;
    }
    this.#buffer = joined;
    return true;
  }
}
