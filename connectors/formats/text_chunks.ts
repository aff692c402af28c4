// Bytes to UTF-8 text for the record parsers: gunzips when asked, stops on
// abort, and hands over the text before a bad byte so the parser can name
// the exact line of the fault.

import { ChunkDecoder, DecodeFault } from "../csv/decode_chunks.ts";
import { DataError } from "../errors.ts";
import { maybeGunzip } from "./gzip.ts";

/** Options for {@linkcode textChunks}. */
export interface TextChunksOptions {
  /** Decompress the source with gzip first. */
  gzip?: boolean;
  /** Stops reading and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** The format named in error messages, e.g. "NDJSON". */
  format: string;
}

/**
 * Thrown by {@linkcode textChunks} after it yielded all the text before an
 * invalid UTF-8 sequence: the parser knows which line that is.
 */
export class InvalidText extends Error {
  constructor(options?: ErrorOptions) {
    super("Invalid UTF-8 byte sequence", options);
    this.name = "InvalidText";
  }
}

/**
 * Decodes a byte stream as UTF-8 (a leading BOM dropped), never splitting a
 * character across chunks. Corrupt gzip data is a `DataError`; invalid UTF-8
 * is an {@linkcode InvalidText} thrown after the valid text before it.
 */
export async function* textChunks(
  source: ReadableStream<Uint8Array>,
  options: TextChunksOptions,
): AsyncGenerator<string> {
  const { gzip = false, signal, format } = options;
  const decoder = new ChunkDecoder("utf-8");
  const reader = maybeGunzip(source, gzip).getReader();
  const onAbort = () => reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    signal?.throwIfAborted();
    for (;;) {
      let chunk: Uint8Array | undefined;
      try {
        const { done, value } = await reader.read();
        chunk = done ? undefined : value;
      } catch (error) {
        signal?.throwIfAborted();
        // DecompressionStream reports corrupt input as a TypeError.
        if (!gzip || !(error instanceof TypeError)) throw error;
        throw new DataError(`Cannot parse ${format}: invalid gzip data`, {
          cause: error,
        });
      }
      signal?.throwIfAborted();
      let text: string;
      try {
        text = chunk === undefined ? decoder.flush() : decoder.decode(chunk);
      } catch (error) {
        if (!(error instanceof DecodeFault)) throw error;
        if (error.validText) yield error.validText;
        throw new InvalidText({ cause: error.cause });
      }
      if (text) yield text;
      if (chunk === undefined) return;
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await reader.cancel().catch(() => {});
  }
}
