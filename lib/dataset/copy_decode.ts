// Decoding staged COPY text lines back into typed row values, for targets
// that do not speak COPY. Splitting on tabs and newlines avoids JSON.parse,
// which slows down badly on millions of short unique strings (V8 interns them).

import type {
  Column,
  ColumnType,
  RecordBatch,
} from "../../connectors/types.ts";
import { encodeCopyText } from "../../connectors/postgres/copy_text.ts";

const UNESCAPE = /\\(.)/g;

function unescapeChar(_: string, char: string): string {
  switch (char) {
    case "t":
      return "\t";
    case "n":
      return "\n";
    case "r":
      return "\r";
    default:
      return char;
  }
}

type Convert = (text: string) => unknown;

const identity: Convert = (text) => text;

function converterFor(type: ColumnType): Convert {
  switch (type) {
    case "bigint":
      return (text) => {
        const n = Number(text);
        return Number.isSafeInteger(n) ? n : text;
      };
    case "double":
      return (text) => Number(text);
    case "boolean":
      return (text) => {
        const t = text.toLowerCase();
        return t === "t" || t === "true" || t === "1" || t === "yes" ||
          t === "y";
      };
    case "json":
      return (text) => JSON.parse(text);
    case "timestamptz":
      // ISO 8601 (staged CSV) or PostgreSQL's "2024-03-01 10:20:30.1+00".
      return (text) => {
        const iso = text.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00");
        const date = new Date(iso);
        return Number.isNaN(date.getTime()) ? text : date;
      };
    default:
      return identity;
  }
}

/** Decodes COPY text `lines` (each ending in "\n") into rows typed by `columns`. */
export function decodeCopyText(text: string, columns: Column[]): unknown[][] {
  const converters = columns.map((c) => converterFor(c.type));
  const width = columns.length;
  const rows: unknown[][] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end === -1) end = text.length;
    const row: unknown[] = new Array(width);
    let fieldStart = start;
    for (let c = 0; c < width; c++) {
      let fieldEnd = c === width - 1 ? end : text.indexOf("\t", fieldStart);
      if (fieldEnd === -1 || fieldEnd > end) fieldEnd = end;
      const raw = text.slice(fieldStart, fieldEnd);
      if (raw === "\\N") {
        row[c] = null;
      } else {
        const value = raw.includes("\\")
          ? raw.replace(UNESCAPE, unescapeChar)
          : raw;
        row[c] = converters[c](value);
      }
      fieldStart = fieldEnd + 1;
    }
    rows.push(row);
    start = end + 1;
  }
  return rows;
}

/**
 * A batch whose rows travel as COPY text lines (a staged dataset, or a
 * PostgreSQL `COPY TO`), kept as the UTF-8 bytes they arrived as: COPY
 * targets and the stager pass `copyBytes` on untouched; `copyText` and
 * `rows` decode only when a consumer asks.
 */
export class CopyTextBatch implements RecordBatch {
  readonly columns: Column[];
  readonly copyBytes: Uint8Array;
  #text?: string;
  #rows?: unknown[][];

  constructor(columns: Column[], copyBytes: Uint8Array) {
    this.columns = columns;
    this.copyBytes = copyBytes;
  }

  get copyText(): string {
    this.#text ??= new TextDecoder().decode(this.copyBytes);
    return this.#text;
  }

  get rows(): unknown[][] {
    this.#rows ??= decodeCopyText(this.copyText, this.columns);
    return this.#rows;
  }
}

/**
 * Rows in a batch, counted from its COPY text when it carries one: reading
 * `rows` would decode every value of a lazily decoded batch.
 */
export function batchRowCount(batch: RecordBatch): number {
  if (batch.copyBytes !== undefined) return countLines(batch.copyBytes, 10);
  if (batch.copyText !== undefined) return countLines(batch.copyText, "\n");
  return batch.rows.length;
}

/** The batch as COPY text: as it came when it carries it, encoded otherwise. */
export function batchCopyText(batch: RecordBatch): string | Uint8Array {
  return batch.copyBytes ?? batch.copyText ?? encodeCopyText(batch);
}

function countLines<T extends string | number>(
  text: { indexOf(item: T, from?: number): number },
  newline: T,
): number {
  let count = 0;
  for (
    let i = text.indexOf(newline);
    i !== -1;
    i = text.indexOf(newline, i + 1)
  ) {
    count++;
  }
  return count;
}

/**
 * Regroups byte `chunks` into groups of whole lines, `rowsPerGroup` lines
 * each. Works on bytes: a newline byte never occurs inside a UTF-8 sequence,
 * so nothing needs decoding.
 */
export async function* lineGroups(
  chunks: AsyncIterable<Uint8Array>,
  rowsPerGroup: number,
): AsyncGenerator<Uint8Array> {
  let parts: Uint8Array[] = [];
  let lines = 0;
  for await (const chunk of chunks) {
    let groupStart = 0;
    let from = 0;
    let newline: number;
    while ((newline = chunk.indexOf(10, from)) !== -1) {
      from = newline + 1;
      if (++lines === rowsPerGroup) {
        parts.push(chunk.subarray(groupStart, from));
        yield concat(parts);
        parts = [];
        groupStart = from;
        lines = 0;
      }
    }
    if (groupStart < chunk.length) parts.push(chunk.subarray(groupStart));
  }
  if (parts.length > 0) yield concat(parts);
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0].slice();
  let size = 0;
  for (const part of parts) size += part.length;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
