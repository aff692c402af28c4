// The load hot path: record batches → PostgreSQL COPY text format. Most values
// are plain strings with nothing to escape, so each string is scanned once and
// only rewritten when the scan finds a special character.

import type { RecordBatch } from "../types.ts";

const NULL = "\\N";
// The scan: a compiled regex test beat a charCodeAt loop about 2x on 1M-row
// CSV batches (V8 runs it as native code and allocates nothing).
const SPECIAL = /[\\\t\n\r]/;
const SPECIALS = /[\\\t\n\r]/g;

/** Escapes a string for COPY text format: backslash, tab, newline, CR. */
export function escapeCopyText(value: string): string {
  return SPECIAL.test(value) ? value.replace(SPECIALS, escapeChar) : value;
}

function escapeChar(char: string): string {
  switch (char) {
    case "\\":
      return "\\\\";
    case "\t":
      return "\\t";
    case "\n":
      return "\\n";
    default:
      return "\\r";
  }
}

/** Encodes one value: null → `\N`, Date → ISO, boolean → t/f, object → JSON. */
export function encodeCopyValue(value: unknown): string {
  switch (typeof value) {
    case "string":
      return escapeCopyText(value);
    case "number":
    case "bigint":
      return String(value);
    case "boolean":
      return value ? "t" : "f";
    case "undefined":
      return NULL;
    case "object":
      if (value === null) return NULL;
      if (value instanceof Date) return value.toISOString();
      return escapeCopyText(JSON.stringify(value));
    default:
      return escapeCopyText(String(value));
  }
}

/**
 * Encodes a batch as COPY text lines, one string, each line ending in "\n".
 * Appending to one string measured faster than joining an array of lines:
 * V8 builds a rope and flattens it once, when the string is encoded.
 */
export function encodeCopyText(batch: RecordBatch): string {
  const rows = batch.rows;
  const width = batch.columns.length;
  let out = "";
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    for (let c = 0; c < width; c++) {
      const value = row[c];
      // Inline fast path: the common case is a string needing no escape.
      const text = typeof value === "string"
        ? (SPECIAL.test(value) ? value.replace(SPECIALS, escapeChar) : value)
        : encodeCopyValue(value);
      out += c === 0 ? text : "\t" + text;
    }
    out += "\n";
  }
  return out;
}
