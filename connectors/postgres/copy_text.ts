// The load hot path: record batches → PostgreSQL COPY text format. Most values
// are plain strings with nothing to escape, so each string is scanned once and
// only escaped when the scan finds a special character.

import type { RecordBatch } from "../types.ts";

const NULL = "\\N";

/** Escapes a string for COPY text format: backslash, tab, newline, CR. */
export function escapeCopyText(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    // 92 "\", 9 tab, 10 LF, 13 CR.
    if (code === 92 || code === 9 || code === 10 || code === 13) {
      return value.replace(/[\\\t\n\r]/g, escapeChar);
    }
  }
  return value;
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

/** Encodes a batch as COPY text lines, one string, each line ending in "\n". */
export function encodeCopyText(batch: RecordBatch): string {
  const rows = batch.rows;
  const width = batch.columns.length;
  const lines = new Array<string>(rows.length + 1);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    let line = "";
    for (let c = 0; c < width; c++) {
      const value = row[c];
      // Inline fast path: the common case is a string needing no escape.
      const text = typeof value === "string"
        ? escapeCopyText(value)
        : encodeCopyValue(value);
      line = c === 0 ? text : line + "\t" + text;
    }
    lines[r] = line;
  }
  // The trailing empty entry gives the last line its newline.
  lines[rows.length] = "";
  return rows.length === 0 ? "" : lines.join("\n");
}
