// Configuration of the files source (CSV, NDJSON, JSON from a server path,
// an upload or an HTTP URL): one schema for the API, the YAML loader and the
// forms.

import { z } from "zod";

function isEncoding(label: string): boolean {
  try {
    new TextDecoder(label);
    return true;
  } catch {
    return false;
  }
}

const oneCharacter = (what: string) =>
  z.string().length(1, `${what} must be one character`).refine(
    (value) => value !== "\n" && value !== "\r",
    `${what} cannot be a line break`,
  );

/** Formats the files source reads. */
export const fileFormats = ["csv", "ndjson", "json"] as const;

/** A file format: CSV, NDJSON (one JSON object per line) or a JSON array. */
export type FileFormat = typeof fileFormats[number];

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === "http:" || protocol === "https:";
  } catch {
    return false;
  }
}

/** Configuration of a file source: a server path or an HTTP URL. */
export const csvConfigSchema = z.object({
  path: z.string().min(1).optional().describe(
    "Path of the file on the server, absolute or relative to the first allowed directory; give either path or url",
  ),
  url: z.string().refine(
    isHttpUrl,
    "URL must be an absolute http:// or https:// URL",
  ).optional().describe(
    "http(s) URL of the file, downloaded by the server itself (so it can reach hosts the browser cannot); give either path or url",
  ),
  format: z.enum(fileFormats).optional().describe(
    "csv, ndjson (one JSON object per line) or json (an array of objects); when not set, from the extension: .csv, .ndjson or .jsonl, .json, each optionally followed by .gz, else csv",
  ),
  records_path: z.string().regex(
    /^[^.]+(?:\.[^.]+)*$/,
    'Records path must be keys joined by dots, e.g. "data.items"',
  ).optional().describe(
    'json only: dotted keys of the array of records inside the document, e.g. "data.items" for {"data": {"items": [...]}}; when not set, the document itself is the array',
  ),
  timeout_seconds: z.number().positive().max(3600).optional().describe(
    "url only: seconds to wait for the server's response and then for each chunk of the body (default 30)",
  ),
  delimiter: oneCharacter("Delimiter").default(",").describe(
    'Field separator, one character: "," or ";" or "\\t" or "|"',
  ),
  quote: oneCharacter("Quote").default('"').describe(
    "Character that encloses fields containing delimiters, quotes or line breaks",
  ),
  header: z.boolean().default(true).describe(
    "The first line names the columns; otherwise they are named column_1, column_2, …",
  ),
  encoding: z.string().default("utf-8").refine(
    isEncoding,
    "Unknown encoding, use a label such as utf-8, latin1, windows-1252 or utf-16le",
  ).describe("Text encoding of the file, e.g. utf-8, latin1, utf-16le"),
  gzip: z.boolean().optional().describe(
    "The file is gzip-compressed; when not set, detected from its first bytes",
  ),
  inferTypes: z.boolean().default(true).describe(
    "csv only: guess column types (bigint, numeric, boolean, date, timestamptz) from the first batch; otherwise every column is text",
  ),
}).refine((config) => config.delimiter !== config.quote, {
  message: "Delimiter and quote must differ",
  path: ["quote"],
}).refine(
  (config) => (config.path === undefined) !== (config.url === undefined),
  {
    message: "Give either a path or a url",
    path: ["path"],
  },
);

/** A validated CSV source configuration. */
export type CsvConfig = z.infer<typeof csvConfigSchema>;
