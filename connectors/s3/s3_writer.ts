// Writes record batches as one object, streamed as a multipart upload: parts
// go up while the source is still being read, and the object only appears
// when the upload completes. A failed upload is aborted, so a reader sees the
// old object or the new one, never part of it.

import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { writeCsv } from "../formats/csv_writer.ts";
import { writeNdjson } from "../formats/ndjson.ts";
import { ConnectorError } from "../errors.ts";
import type { RecordBatch, WriteRequest, WriteResult } from "../types.ts";
import type { S3Config } from "./config.ts";
import {
  encodingOf,
  FORMAT_EXTENSIONS,
  formatExtension,
  type ObjectEncoding,
} from "./object_format.ts";
import { objectName, type S3Bucket, toS3Error } from "./s3_client.ts";

/** The configuration a write uses. */
export type WriteSettings = Pick<
  S3Config,
  "format" | "gzip" | "delimiter" | "header"
>;

/** Options for {@linkcode writeObject}. */
export interface UploadOptions {
  /** Bytes per upload part, at least 5 MiB (S3's minimum). */
  partSize: number;
  /** Parts uploaded at once. */
  queueSize: number;
}

/**
 * Writes `batches` to the key `request.table` (under the prefix) as NDJSON or
 * CSV, gzip-compressed for `.gz`; a key without an extension gets the
 * format's (`.ndjson` by default). `replace` overwrites the object; `append`
 * writes a new object `<key without extension>-<UTC time>-<n><extension>`
 * beside it, since S3 objects cannot be appended to; `merge` is refused.
 * `signal` stops the write at the next batch, leaving no object behind.
 */
export async function writeObject(
  s3: S3Bucket,
  batches: AsyncIterable<RecordBatch>,
  request: WriteRequest,
  settings: WriteSettings,
  options: UploadOptions,
): Promise<WriteResult> {
  const { table, mode, signal } = request;
  const shownTable = objectName(s3.bucket, s3.prefix + table);
  if (mode === "merge") {
    throw new ConnectorError(
      `Cannot write ${shownTable}: S3 cannot merge; use append or replace`,
    );
  }
  if (table === "" || table.endsWith("/")) {
    throw new ConnectorError(
      `Cannot write ${shownTable}: the table must be an object key, e.g. ${
        JSON.stringify(`${table}orders.ndjson`)
      }`,
    );
  }
  const { key, encoding } = targetOf(s3.prefix + table, settings);
  if (encoding.format === "json") {
    throw new ConnectorError(
      `Cannot write ${shownTable}: S3 writes csv or ndjson, not a JSON array`,
    );
  }
  const target = mode === "append" ? await freePartKey(s3, key, signal) : key;
  const shown = objectName(s3.bucket, target);
  const source = new SourceRows(batches, signal);
  let body = encoding.format === "csv"
    ? writeCsv(source.batches(), {
      delimiter: encoding.delimiter,
      header: settings.header,
    })
    : writeNdjson(source.batches());
  if (encoding.gzip) {
    // CompressionStream is typed for ArrayBuffer-backed chunks only.
    body = (body as ReadableStream<Uint8Array<ArrayBuffer>>)
      .pipeThrough(new CompressionStream("gzip"));
  }
  const upload = new Upload({
    client: s3.client,
    params: {
      Bucket: s3.bucket,
      Key: target,
      Body: body,
      ContentType: encoding.gzip
        ? "application/gzip"
        : encoding.format === "csv"
        ? "text/csv"
        : "application/x-ndjson",
    },
    partSize: options.partSize,
    queueSize: options.queueSize,
    leavePartsOnError: false,
  });
  try {
    await upload.done();
  } catch (error) {
    // When the store failed first, the source is left mid-batch: end it so
    // whatever it reads from is released now rather than at GC.
    await body.cancel().catch(() => {});
    source.close();
    if (source.error !== undefined) throw source.error;
    throw toS3Error(error, `Cannot write ${shown}`, {
      secrets: s3.secrets,
      notFound: `bucket ${JSON.stringify(s3.bucket)} not found`,
    });
  }
  return { rowsWritten: source.rows };
}

// The key to write and its encoding; a bare key gets the format's extension.
function targetOf(
  key: string,
  settings: WriteSettings,
): { key: string; encoding: ObjectEncoding } {
  const encoding = encodingOf(key, settings);
  if (encoding && formatExtension(key) !== "") return { key, encoding };
  const format = settings.format ?? "ndjson";
  const gzip = settings.gzip ?? false;
  const extension = FORMAT_EXTENSIONS[format] + (gzip ? ".gz" : "");
  return {
    key: key + extension,
    encoding: { format, gzip, delimiter: settings.delimiter ?? "," },
  };
}

// "exports/orders.csv.gz" → "exports/orders-20260127T101500123Z-1.csv.gz",
// counting up past names another writer took in the same millisecond.
async function freePartKey(
  s3: S3Bucket,
  key: string,
  signal?: AbortSignal,
): Promise<string> {
  const extension = formatExtension(key);
  const base = key.slice(0, key.length - extension.length);
  const time = new Date().toISOString().replace(/[-:.]/g, "");
  for (let n = 1;; n++) {
    const candidate = `${base}-${time}-${n}${extension}`;
    if (!await objectExists(s3, candidate, signal)) return candidate;
  }
}

async function objectExists(
  s3: S3Bucket,
  key: string,
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    await s3.client.send(
      new HeadObjectCommand({ Bucket: s3.bucket, Key: key }),
      { abortSignal: signal },
    );
    return true;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } })
      .$metadata?.httpStatusCode;
    if (status === 404) return false;
    throw toS3Error(error, `Cannot write ${objectName(s3.bucket, key)}`, {
      secrets: s3.secrets,
      notFound: `bucket ${JSON.stringify(s3.bucket)} not found`,
    });
  }
}

// Counts rows and keeps the source's own error, which the upload would
// otherwise report as its own failure.
class SourceRows {
  rows = 0;
  error: unknown;
  #batches: AsyncIterable<RecordBatch>;
  #signal?: AbortSignal;
  #generator?: AsyncGenerator<RecordBatch>;

  constructor(batches: AsyncIterable<RecordBatch>, signal?: AbortSignal) {
    this.#batches = batches;
    this.#signal = signal;
  }

  batches(): AsyncGenerator<RecordBatch> {
    this.#generator ??= this.#read();
    return this.#generator;
  }

  /** Ends the source without waiting: a pending read may never settle. */
  close(): void {
    this.#generator?.return(undefined).catch(() => {});
  }

  async *#read(): AsyncGenerator<RecordBatch> {
    try {
      this.#signal?.throwIfAborted();
      for await (const batch of this.#batches) {
        this.#signal?.throwIfAborted();
        this.rows += batch.rows.length;
        yield batch;
      }
    } catch (error) {
      this.error = error;
      throw error;
    }
  }
}
