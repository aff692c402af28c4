// Decoding staged COPY text lines back into typed row values, for targets
// that do not speak COPY. Splitting on tabs and newlines avoids JSON.parse,
// which slows down badly on millions of short unique strings (V8 interns them).

import type { Column, ColumnType } from "../../connectors/types.ts";

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
