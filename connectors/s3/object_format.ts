// How an object's bytes become record batches and batches become bytes: the
// format and compression come from the configuration or the key's extension.

import { parseCsv } from "../csv/parse_csv.ts";
import { parseJsonArray } from "../formats/json.ts";
import { parseNdjson } from "../formats/ndjson.ts";
import { SchemaError } from "../errors.ts";
import type { RecordBatch } from "../types.ts";
import type { S3Config } from "./config.ts";

/** A format the connector reads; it writes `csv` and `ndjson`. */
export type ObjectFormat = "csv" | "ndjson" | "json";

/** How one object is encoded. */
export interface ObjectEncoding {
  format: ObjectFormat;
  gzip: boolean;
  /** CSV field separator. */
  delimiter: string;
}

const EXTENSIONS: Record<string, ObjectFormat> = {
  csv: "csv",
  tsv: "csv",
  ndjson: "ndjson",
  jsonl: "ndjson",
  json: "json",
};

/** Extension written for each format. */
export const FORMAT_EXTENSIONS: Record<ObjectFormat, string> = {
  csv: ".csv",
  ndjson: ".ndjson",
  json: ".json",
};

/** The extension of `key` the format was read from (".csv.gz"), or "". */
export function formatExtension(key: string): string {
  return key.match(/\.(csv|tsv|ndjson|jsonl|json)(\.gz)?$/i)?.[0] ?? "";
}

/**
 * The encoding of `key`: the configured format, else the one its extension
 * names (`.csv`, `.tsv`, `.ndjson`, `.jsonl`, `.json`, each maybe `.gz`);
 * `undefined` when neither says.
 */
export function encodingOf(
  key: string,
  config: Pick<S3Config, "format" | "gzip" | "delimiter">,
): ObjectEncoding | undefined {
  const gzip = config.gzip ?? /\.gz$/i.test(key);
  const extension = key.replace(/\.gz$/i, "").match(/\.([^./]+)$/)?.[1]
    ?.toLowerCase();
  const format = config.format ??
    (extension === undefined ? undefined : EXTENSIONS[extension]);
  if (format === undefined) return undefined;
  const delimiter = config.delimiter ?? (extension === "tsv" ? "\t" : ",");
  return { format, gzip, delimiter };
}

/** Like {@linkcode encodingOf}, but a missing format is a `SchemaError`. */
export function requireEncoding(
  key: string,
  shown: string,
  config: Pick<S3Config, "format" | "gzip" | "delimiter">,
): ObjectEncoding {
  const encoding = encodingOf(key, config);
  if (encoding) return encoding;
  throw new SchemaError(
    `Cannot read ${shown}: unknown format, set format to csv, ndjson or json (or name objects .csv, .ndjson, .json)`,
  );
}

/** Options for {@linkcode decodeObject}. */
export interface DecodeOptions {
  header?: boolean;
  recordsPath?: string;
  batchSize?: number;
  signal?: AbortSignal;
}

/** Parses an object's body in its encoding. */
export function decodeObject(
  body: ReadableStream<Uint8Array>,
  encoding: ObjectEncoding,
  options: DecodeOptions,
): AsyncGenerator<RecordBatch> {
  const { gzip } = encoding;
  const { batchSize, signal } = options;
  switch (encoding.format) {
    case "csv":
      return parseCsv(body, {
        delimiter: encoding.delimiter,
        header: options.header,
        gzip,
        batchSize,
        signal,
      });
    case "ndjson":
      return parseNdjson(body, { gzip, batchSize, signal });
    case "json":
      return parseJsonArray(body, {
        gzip,
        batchSize,
        signal,
        recordsPath: options.recordsPath,
      });
  }
}
