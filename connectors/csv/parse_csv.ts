// Streaming RFC 4180 CSV reader: byte chunks in, record batches out, with the
// exact line of every malformed record. Never holds more than one record plus
// one chunk; scans decoded text with indexOf and slices, never char by char.
//
// Line numbers are physical lines (1-based, counted by LF; a lone CR is data).
// `DataError.line` is the line of the fault for a single bad spot (a character
// after a closing quote, an invalid byte) and the line where the record starts
// for record-level problems (a ragged row, an unterminated quote, the header).
// `DataError.row` is the 1-based data record, the header not counted.

import { DataError } from "../errors.ts";
import type { Column, RecordBatch } from "../types.ts";
import { ChunkDecoder, DecodeFault } from "./decode_chunks.ts";
import { type CsvValue, RecordScanner } from "./record_scanner.ts";

/** Options for {@linkcode parseCsv}. */
export interface CsvOptions {
  /** Field separator, one character (default ","). */
  delimiter?: string;
  /** Quote character, one character (default '"'). */
  quote?: string;
  /** The first record names the columns (default true); else column_1..n. */
  header?: boolean;
  /** Any `TextDecoder` label: "utf-8" (default), "latin1", "utf-16le", … */
  encoding?: string;
  /** Rows per batch (default 10,000). */
  batchSize?: number;
  /** Column names and types to use instead of the header's (or column_1..n). */
  columns?: Column[];
  /** Decompress the source with gzip first. */
  gzip?: boolean;
  /** Stops reading and rejects with the signal's reason. */
  signal?: AbortSignal;
}

export type { CsvValue };

/**
 * Parses a CSV byte stream into record batches of string (or `null`) values.
 * An unquoted empty field is `null` (as psql's CSV COPY reads it), a quoted
 * empty one `""`. A file with a header but no rows yields one empty batch so
 * the columns are still known. Throws `DataError` for malformed input.
 */
export async function* parseCsv(
  source: ReadableStream<Uint8Array>,
  options: CsvOptions = {},
): AsyncGenerator<RecordBatch> {
  const {
    delimiter = ",",
    quote = '"',
    header = true,
    encoding = "utf-8",
    batchSize = 10_000,
    columns: given,
    gzip = false,
    signal,
  } = options;
  checkOptions(delimiter, quote, batchSize, given);
  let decoder: ChunkDecoder;
  try {
    decoder = new ChunkDecoder(encoding);
  } catch (error) {
    throw new RangeError(
      `Cannot parse CSV: unknown encoding ${JSON.stringify(encoding)}`,
      { cause: error },
    );
  }
  const scanner = new RecordScanner(delimiter, quote, batchSize, header, given);
  // DecompressionStream is typed for ArrayBuffer-backed chunks only.
  const stream: ReadableStream<Uint8Array> = gzip
    ? (source as ReadableStream<Uint8Array<ArrayBuffer>>)
      .pipeThrough(new DecompressionStream("gzip"))
    : source;
  const reader = stream.getReader();
  const onAbort = () => reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  let columns: Column[] | undefined;
  let yielded = false;
  const batch = (rows: CsvValue[][]): RecordBatch => {
    columns ??= scanner.columns();
    yielded = true;
    return { columns, rows };
  };
  try {
    signal?.throwIfAborted();
    for (;;) {
      const chunk = await readChunk(reader, gzip);
      signal?.throwIfAborted();
      if (chunk === undefined) break;
      scanner.push(decodeChunk(decoder, scanner, chunk));
      while (scanner.ready.length > 0) yield batch(scanner.ready.shift()!);
    }
    scanner.push(decodeChunk(decoder, scanner, undefined));
    scanner.finish();
    while (scanner.ready.length > 0) yield batch(scanner.ready.shift()!);
    if (!yielded && (scanner.header !== undefined || given !== undefined)) {
      yield batch([]);
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await reader.cancel().catch(() => {});
  }
}

function checkOptions(
  delimiter: string,
  quote: string,
  batchSize: number,
  columns: Column[] | undefined,
): void {
  for (const [name, value] of [["delimiter", delimiter], ["quote", quote]]) {
    if (value.length !== 1 || value === "\n" || value === "\r") {
      throw new TypeError(
        `Cannot parse CSV: ${name} must be one character other than CR or LF, received ${
          JSON.stringify(value)
        }`,
      );
    }
  }
  if (delimiter === quote) {
    throw new TypeError(
      `Cannot parse CSV: delimiter and quote must differ, both are ${
        JSON.stringify(quote)
      }`,
    );
  }
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new RangeError(
      `Cannot parse CSV: batchSize must be a positive integer, received ${batchSize}`,
    );
  }
  if (columns !== undefined && columns.length === 0) {
    throw new TypeError("Cannot parse CSV: columns must not be empty");
  }
}

async function readChunk(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  gzip: boolean,
): Promise<Uint8Array | undefined> {
  try {
    const { done, value } = await reader.read();
    return done ? undefined : value;
  } catch (error) {
    if (!gzip || !(error instanceof TypeError)) throw error;
    throw new DataError("Cannot parse CSV: invalid gzip data", {
      cause: error,
    });
  }
}

// `undefined` flushes the decoder at the end of the input. Records before the
// bad bytes are parsed first, so an earlier ragged row is reported first.
function decodeChunk(
  decoder: ChunkDecoder,
  scanner: RecordScanner,
  chunk: Uint8Array | undefined,
): string {
  try {
    return chunk === undefined ? decoder.flush() : decoder.decode(chunk);
  } catch (error) {
    if (!(error instanceof DecodeFault)) throw error;
    scanner.push(error.validText, true);
    const line = scanner.lineAtEnd();
    throw new DataError(
      `Cannot parse CSV: line ${line}: invalid ${decoder.encoding} byte sequence`,
      { line, row: scanner.rowInProgress(), cause: error.cause },
    );
  }
}
