// NDJSON (JSON Lines): one JSON object per line. Read as a stream, one line
// at a time, with the line of every fault; written one object per row.
//
// Columns come from the first batch: the union of its records' fields, in
// order of first appearance. A later record with a field outside them is a
// `DataError` naming the field and its line, since the columns (and so the
// target table) are fixed once the first batch is out.

import { DataError } from "../errors.ts";
import type { RecordBatch } from "../types.ts";
import { type JsonRecord, RecordBatcher } from "./columns.ts";
import { InvalidText, textChunks } from "./text_chunks.ts";

/** Options for {@linkcode parseNdjson}. */
export interface NdjsonOptions {
  /** Records per batch (default 10,000). */
  batchSize?: number;
  /** Decompress the source with gzip first. */
  gzip?: boolean;
  /** Stops reading and rejects with the signal's reason. */
  signal?: AbortSignal;
}

const FORMAT = "NDJSON";

/**
 * Parses an NDJSON byte stream (UTF-8, LF or CRLF line ends, blank lines
 * skipped) into record batches typed by {@linkcode inferRecordColumns}.
 * Throws `DataError` with the line for a line that is not a JSON object.
 */
export async function* parseNdjson(
  source: ReadableStream<Uint8Array>,
  options: NdjsonOptions = {},
): AsyncGenerator<RecordBatch> {
  const { batchSize = 10_000, gzip = false, signal } = options;
  const batcher = new RecordBatcher(batchSize, FORMAT);
  // The line being read, and its text so far when it spans chunks.
  let line = 1;
  const pieces: string[] = [];
  try {
    for await (
      const text of textChunks(source, { gzip, signal, format: FORMAT })
    ) {
      let start = 0;
      for (;;) {
        const end = text.indexOf("\n", start);
        if (end === -1) {
          if (start < text.length) pieces.push(text.slice(start));
          break;
        }
        let whole = text.slice(start, end);
        if (pieces.length > 0) {
          whole = pieces.join("") + whole;
          pieces.length = 0;
        }
        const record = parseLine(whole, line);
        const batch = record && batcher.push(record, line);
        line++;
        start = end + 1;
        if (batch) yield batch;
      }
    }
  } catch (error) {
    if (!(error instanceof InvalidText)) throw error;
    throw new DataError(
      `Cannot parse ${FORMAT}: line ${line}: invalid UTF-8 byte sequence`,
      { line, cause: error.cause },
    );
  }
  // The last line needs no line break.
  const record = pieces.length > 0 && parseLine(pieces.join(""), line);
  const last = record ? batcher.push(record, line) : undefined;
  if (last) yield last;
  const rest = batcher.flush();
  if (rest) yield rest;
}

// The object on one line; undefined for a blank line.
function parseLine(text: string, line: number): JsonRecord | undefined {
  if (text.endsWith("\r")) text = text.slice(0, -1);
  if (text.trim() === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DataError(
      `Cannot parse ${FORMAT}: line ${line}: ${(error as Error).message}`,
      { line, cause: error },
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new DataError(
      `Cannot parse ${FORMAT}: line ${line}: expected a JSON object, found ${
        describeJson(value)
      }`,
      { line },
    );
  }
  return value as JsonRecord;
}

/** "an array", "a string", "null": what a JSON value is, for messages. */
export function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

/**
 * Writes record batches as NDJSON: one object per row with the columns as
 * keys, every line ending in LF. Dates become ISO strings; bigints stay exact
 * numbers. Pulls a batch only when the reader wants more bytes.
 */
export function writeNdjson(
  batches: AsyncIterable<RecordBatch>,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  async function* lines(): AsyncGenerator<Uint8Array> {
    for await (const batch of batches) {
      // Each key with its colon, encoded once per batch.
      const keys = batch.columns.map((column, index) =>
        (index === 0 ? "{" : ",") + JSON.stringify(column.name) + ":"
      );
      let out = "";
      for (const row of batch.rows) {
        for (let c = 0; c < keys.length; c++) {
          out += keys[c] + jsonValue(row[c]);
        }
        out += keys.length === 0 ? "{}\n" : "}\n";
      }
      if (out) yield encoder.encode(out);
    }
  }
  return ReadableStream.from(lines());
}

function jsonValue(value: unknown): string {
  if (value === undefined) return "null";
  // JSON numbers have no size limit; only JSON.stringify refuses bigints.
  if (typeof value === "bigint") return String(value);
  return JSON.stringify(value, bigintReplacer) ?? "null";
}

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? String(value) : value;
}
