// Uploaded files: streamed to disk under the uploads directory with a
// generated name, so a client name can never choose the path.

/** Options for {@linkcode saveUpload}. */
export interface SaveUploadOptions {
  /** The name the client gave, kept only as a readable suffix. */
  filename?: string;
  /** Refuse bodies larger than this many bytes. */
  maxBytes?: number;
}

/** Thrown when an upload is larger than allowed. */
export class UploadTooLargeError extends Error {
  constructor(maxBytes: number) {
    super(`Cannot store upload: it is larger than ${maxBytes} bytes`);
    this.name = "UploadTooLargeError";
  }
}

/** Streams `body` into `dir`; returns the stored file's name and size. */
export async function saveUpload(
  dir: string,
  body: ReadableStream<Uint8Array>,
  options: SaveUploadOptions = {},
): Promise<{ name: string; bytes: number }> {
  const suffix = (options.filename ?? "upload.csv").toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "_").replace(/^[._]+/, "").slice(-60) ||
    "upload.csv";
  const name = `${crypto.randomUUID()}-${suffix}`;
  const path = `${dir}/${name}`;
  const file = await Deno.open(path, { write: true, createNew: true });
  let bytes = 0;
  const max = options.maxBytes ?? Infinity;
  try {
    const counter = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.length;
        if (bytes > max) throw new UploadTooLargeError(max);
        controller.enqueue(chunk);
      },
    });
    await body.pipeThrough(counter).pipeTo(file.writable);
  } catch (error) {
    await Deno.remove(path).catch(() => {});
    throw error;
  }
  return { name, bytes };
}
