// A JSON document holding an array of records, read as a stream: the whole
// document is never parsed at once, only one record at a time, so memory
// stays bounded however long the array is.

import { DataError } from "../errors.ts";
import type { RecordBatch } from "../types.ts";
import { type JsonRecord, RecordBatcher } from "./columns.ts";
import { JsonRecordScanner, type ScannedRecord } from "./json_scanner.ts";
import { describeJson } from "./ndjson.ts";
import { InvalidText, textChunks } from "./text_chunks.ts";

/** Options for {@linkcode parseJsonArray}. */
export interface JsonArrayOptions {
  /** Records per batch (default 10,000). */
  batchSize?: number;
  /** Decompress the source with gzip first. */
  gzip?: boolean;
  /**
   * Dotted keys of the records array inside a top-level object, e.g.
   * "data.items" for `{"data": {"items": [...]}}`; empty or unset when the
   * document itself is the array.
   */
  recordsPath?: string;
  /** Stops reading and rejects with the signal's reason. */
  signal?: AbortSignal;
}

const FORMAT = "JSON";
// V8 ends JSON.parse messages with the place: relative to the record, so
// dropped in favour of the file's line.
const POSITION = / at position (\d+)(?: \(line \d+ column \d+\))?$/;

/**
 * Parses a JSON array of objects (or the array at `recordsPath` in an object)
 * into record batches typed by {@linkcode inferRecordColumns}. Under a
 * records path, reading stops once the array closes; the rest of the document
 * is not checked. Throws `DataError` with the line for malformed JSON or a
 * record that is not an object, `SchemaError` when the array is missing.
 */
export async function* parseJsonArray(
  source: ReadableStream<Uint8Array>,
  options: JsonArrayOptions = {},
): AsyncGenerator<RecordBatch> {
  const { batchSize = 10_000, gzip = false, recordsPath = "", signal } =
    options;
  const path = recordsPath === "" ? [] : recordsPath.split(".");
  if (path.some((key) => key === "")) {
    throw new TypeError(
      `Cannot parse JSON: records path ${
        JSON.stringify(recordsPath)
      } has an empty key, expected keys joined by dots like "data.items"`,
    );
  }
  const batcher = new RecordBatcher(batchSize, FORMAT);
  const scanner = new JsonRecordScanner(path);
  let row = 0;
  const take = (scanned: ScannedRecord) =>
    batcher.push(parseRecord(scanned, ++row), scanned.line);
  const chunks = textChunks(source, { gzip, signal, format: FORMAT });
  try {
    for await (const text of chunks) {
      scanner.push(text);
      for (const scanned of scanner.ready.splice(0)) {
        const batch = take(scanned);
        if (batch) yield batch;
      }
      // Stop downloading once the records are in.
      if (scanner.done) break;
    }
  } catch (error) {
    if (!(error instanceof InvalidText)) throw error;
    const line = scanner.line;
    throw new DataError(
      `Cannot parse ${FORMAT}: line ${line}: invalid UTF-8 byte sequence`,
      { line, cause: error.cause },
    );
  } finally {
    await chunks.return(undefined);
  }
  scanner.finish();
  const rest = batcher.flush();
  if (rest) yield rest;
}

function parseRecord(scanned: ScannedRecord, row: number): JsonRecord {
  let value: unknown;
  try {
    value = JSON.parse(scanned.text);
  } catch (error) {
    const message = (error as Error).message;
    const match = POSITION.exec(message);
    const before = match ? scanned.text.slice(0, Number(match[1])) : "";
    const line = scanned.line + before.split("\n").length - 1;
    throw new DataError(
      `Cannot parse ${FORMAT}: line ${line}: ${
        match ? message.slice(0, match.index) : message
      }`,
      { line, row, cause: error },
    );
  }
  // The scanner only cuts out objects; kept as a guard for the cast.
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new DataError(
      `Cannot parse ${FORMAT}: line ${scanned.line}: record ${row} is ${
        describeJson(value)
      }, expected an object`,
      { line: scanned.line, row },
    );
  }
  return value as JsonRecord;
}
