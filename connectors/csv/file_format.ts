// Which format a file is in and what its table is called, from its name (a
// path or a URL) and, for a download, its Content-Type.

import { basename } from "node:path";
import type { FileFormat } from "./config.ts";

/** How messages name each format: `Cannot read NDJSON "…"`. */
export const formatLabels: Record<FileFormat, string> = {
  csv: "CSV",
  ndjson: "NDJSON",
  json: "JSON",
};

const EXTENSIONS: Record<string, FileFormat> = {
  csv: "csv",
  tsv: "csv",
  txt: "csv",
  ndjson: "ndjson",
  jsonl: "ndjson",
  json: "json",
};

const CONTENT_TYPES: Record<string, FileFormat> = {
  "text/csv": "csv",
  "application/csv": "csv",
  "application/x-ndjson": "ndjson",
  "application/ndjson": "ndjson",
  "application/jsonl": "ndjson",
  "application/json-lines": "ndjson",
  "application/json": "json",
};

/** The format a name's extension says, ".gz" looked through; undefined if none. */
export function formatOfName(name: string): FileFormat | undefined {
  const match = /\.([a-z]+)(?:\.gz)?$/i.exec(lastSegment(name));
  const extension = match?.[1].toLowerCase();
  return extension && Object.hasOwn(EXTENSIONS, extension)
    ? EXTENSIONS[extension]
    : undefined;
}

/** The format a Content-Type header says; undefined for anything else. */
export function formatOfContentType(
  contentType: string | null,
): FileFormat | undefined {
  const type = contentType?.split(";")[0].trim().toLowerCase() ?? "";
  return Object.hasOwn(CONTENT_TYPES, type) ? CONTENT_TYPES[type] : undefined;
}

/** "sales.csv.gz" → "sales", "https://x/api/orders.json?page=2" → "orders". */
export function tableNameOf(name: string): string {
  const file = lastSegment(name).replace(/\.gz$/i, "");
  return file.replace(/\.(csv|tsv|txt|ndjson|jsonl|json)$/i, "") || file;
}

// The file part of a path or of a URL's path (query and fragment dropped).
function lastSegment(name: string): string {
  if (/^https?:\/\//i.test(name)) {
    try {
      const segments = new URL(name).pathname.split("/");
      return decodeURIComponent(segments.at(-1) ?? "") || "download";
    } catch {
      return name;
    }
  }
  return basename(name);
}

/**
 * A URL fit for messages and logs: no user, password, query or fragment,
 * which may carry tokens (signed URLs, API keys).
 */
export function shownUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const hidden = parsed.search || parsed.hash ? "?…" : "";
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}${hidden}`;
  } catch {
    return "(invalid URL)";
  }
}
