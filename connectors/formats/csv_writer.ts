// Record batches to CSV bytes, quoted per RFC 4180 so `parseCsv` (or any
// spreadsheet) reads back the same values, null and "" kept apart.

import type { RecordBatch } from "../types.ts";

/** Options for {@linkcode writeCsv}. */
export interface CsvWriterOptions {
  /** Field separator, one character (default ","). */
  delimiter?: string;
  /** Write the column names first (default true). */
  header?: boolean;
  /** "\n" (default) or "\r\n" as RFC 4180 writes it. */
  lineEnd?: "\n" | "\r\n";
}

/**
 * Writes record batches as CSV. A field is quoted when it holds the
 * delimiter, a quote, CR or LF, or is the empty string (an unquoted empty
 * field is null, as `parseCsv` and PostgreSQL read it). Dates become ISO
 * strings, objects JSON, booleans true/false. The header comes from the first
 * batch; with no batches the output is empty.
 */
export function writeCsv(
  batches: AsyncIterable<RecordBatch>,
  options: CsvWriterOptions = {},
): ReadableStream<Uint8Array> {
  const { delimiter = ",", header = true, lineEnd = "\n" } = options;
  if (
    delimiter.length !== 1 || delimiter === '"' || delimiter === "\n" ||
    delimiter === "\r"
  ) {
    throw new TypeError(
      `Cannot write CSV: delimiter must be one character other than a quote, CR or LF, received ${
        JSON.stringify(delimiter)
      }`,
    );
  }
  // Anything that forces quotes; built once for the delimiter.
  const special = new RegExp(`[${escapeRegExp(delimiter)}"\\r\\n]`);
  const field = (value: unknown): string => {
    const text = fieldText(value);
    if (text === undefined) return "";
    if (text === "") return '""';
    return special.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const encoder = new TextEncoder();
  async function* chunks(): AsyncGenerator<Uint8Array> {
    let first = true;
    for await (const batch of batches) {
      let out = "";
      if (first && header) {
        out += batch.columns.map((column) => field(column.name))
          .join(delimiter) + lineEnd;
      }
      first = false;
      for (const row of batch.rows) {
        for (let c = 0; c < batch.columns.length; c++) {
          out += c === 0 ? field(row[c]) : delimiter + field(row[c]);
        }
        out += lineEnd;
      }
      if (out) yield encoder.encode(out);
    }
  }
  return ReadableStream.from(chunks());
}

// The text of a value; undefined for null, written as an empty field.
function fieldText(value: unknown): string | undefined {
  switch (typeof value) {
    case "string":
      return value;
    case "undefined":
      return undefined;
    case "object":
      if (value === null) return undefined;
      if (value instanceof Date) return value.toISOString();
      return JSON.stringify(
        value,
        (_key, inner) => typeof inner === "bigint" ? String(inner) : inner,
      );
    default:
      return String(value);
  }
}

function escapeRegExp(char: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(char) ? `\\${char}` : char;
}
