// Reads the objects a path names (a key, a prefix or a glob) one after the
// other in key order, streaming each body through its parser, as one stream
// of record batches with the columns of the first object.

import {
  GetObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
} from "@aws-sdk/client-s3";
import { inferColumnTypes } from "../csv/infer_types.ts";
import { ConnectorError, DataError, SchemaError } from "../errors.ts";
import type { Column, ReadRequest, RecordBatch } from "../types.ts";
import type { S3Config } from "./config.ts";
import { keyPattern } from "./key_pattern.ts";
import { decodeObject, requireEncoding } from "./object_format.ts";
import { applyCursor, type ObjectCursor, objectCursor } from "./read_cursor.ts";
import { objectName, type S3Bucket, toS3Error } from "./s3_client.ts";

/** One object as listed. */
export interface S3Object {
  key: string;
  size: number;
  lastModified: Date;
}

/** Options for {@linkcode listObjects}. */
export interface ListOptions {
  /** Stop after this many objects. */
  limit?: number;
  signal?: AbortSignal;
}

/** Lists the objects whose key starts with `prefix`, in key order, a page at a time. */
export async function* listObjects(
  s3: S3Bucket,
  prefix: string,
  options: ListOptions = {},
): AsyncGenerator<S3Object> {
  const { limit = Infinity, signal } = options;
  let token: string | undefined;
  let count = 0;
  do {
    let page: ListObjectsV2CommandOutput;
    try {
      page = await s3.client.send(
        new ListObjectsV2Command({
          Bucket: s3.bucket,
          Prefix: prefix || undefined,
          ContinuationToken: token,
          MaxKeys: Math.min(1000, limit - count),
        }),
        { abortSignal: signal },
      );
    } catch (error) {
      throw toS3Error(error, `Cannot list ${objectName(s3.bucket, prefix)}`, {
        secrets: s3.secrets,
        notFound: `bucket ${JSON.stringify(s3.bucket)} not found`,
      });
    }
    for (const item of page.Contents ?? []) {
      if (item.Key === undefined) continue;
      yield {
        key: item.Key,
        size: item.Size ?? 0,
        lastModified: item.LastModified ?? new Date(0),
      };
      if (++count >= limit) return;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** The configuration a read uses. */
export type ReadSettings = Pick<
  S3Config,
  "path" | "format" | "gzip" | "delimiter" | "header" | "records_path"
>;

/**
 * Reads `request.path` (else `request.table`, else the configured path, else
 * everything under the prefix). Every object must have the columns of the
 * first, in any order; CSV types are inferred from the first batch. Empty
 * objects under a prefix or glob (folder markers, `_SUCCESS`) are skipped;
 * a missing exact key is a `SchemaError`, no match for a glob is no batches.
 */
export async function* readObjects(
  s3: S3Bucket,
  settings: ReadSettings,
  request: ReadRequest,
): AsyncGenerator<RecordBatch> {
  const path = request.path ?? request.table ?? settings.path ?? "";
  const pattern = keyPattern(escapeGlob(s3.prefix) + path);
  const cursor = objectCursor(request.cursor);
  const columns = new SharedColumns();
  let matched = 0;
  for await (
    const object of listObjects(s3, pattern.listPrefix, {
      signal: request.signal,
    })
  ) {
    if (!pattern.matches(object.key)) continue;
    const empty = object.size === 0 || object.key.endsWith("/");
    if (pattern.kind !== "key" && empty) continue;
    matched++;
    if (cursor.modifiedAfter && object.lastModified <= cursor.modifiedAfter) {
      continue;
    }
    yield* readObject(s3, object, { settings, request, cursor, columns });
  }
  if (matched === 0 && pattern.kind === "key") {
    throw new SchemaError(
      `Cannot read ${
        objectName(s3.bucket, pattern.listPrefix)
      }: no such object`,
    );
  }
}

interface ObjectRead {
  settings: ReadSettings;
  request: ReadRequest;
  cursor: ObjectCursor;
  columns: SharedColumns;
}

async function* readObject(
  s3: S3Bucket,
  object: S3Object,
  { settings, request, cursor, columns }: ObjectRead,
): AsyncGenerator<RecordBatch> {
  const shown = objectName(s3.bucket, object.key);
  const encoding = requireEncoding(object.key, shown, settings);
  const { signal } = request;
  let body: ReadableStream<Uint8Array>;
  try {
    const response = await s3.client.send(
      new GetObjectCommand({ Bucket: s3.bucket, Key: object.key }),
      { abortSignal: signal },
    );
    if (!response.Body) throw new Error("the response has no body");
    body = response.Body.transformToWebStream();
  } catch (error) {
    throw toS3Error(error, `Cannot read ${shown}`, {
      secrets: s3.secrets,
      notFound: "no such object (deleted while reading?)",
    });
  }
  const batches = decodeObject(body, encoding, {
    header: settings.header,
    recordsPath: settings.records_path,
    batchSize: request.batchSize,
    signal,
  });
  columns.startObject();
  try {
    for await (const batch of batches) {
      const aligned = columns.align(batch, shown, encoding.format === "csv");
      yield applyCursor(aligned, cursor, {
        shown,
        lastModified: object.lastModified,
      });
    }
  } catch (error) {
    if (signal?.aborted) throw error;
    throw readError(error, shown, s3.secrets);
  }
}

// Parser errors gain the object's name; a connection dropped mid-body is a
// ConnectionError like any other network failure.
function readError(
  error: unknown,
  shown: string,
  secrets: string[],
): ConnectorError {
  if (error instanceof DataError) {
    const detail = error.message.replace(/^Cannot parse /, "invalid ");
    return new DataError(`Cannot read ${shown}: ${detail}`, {
      line: error.line,
      row: error.row,
      column: error.column,
      cause: error,
    });
  }
  return toS3Error(error, `Cannot read ${shown}`, { secrets });
}

// The configured prefix is a literal folder name, never a pattern.
function escapeGlob(text: string): string {
  return text.replace(/[\\*?]/g, "\\$&");
}

/** Holds every object to the columns of the first, reordering when needed. */
class SharedColumns {
  #columns?: Column[];
  #source = "";
  // Per object: where each shared column is in its rows; null if in place.
  #order?: number[] | null;

  startObject(): void {
    this.#order = undefined;
  }

  align(batch: RecordBatch, shown: string, infer: boolean): RecordBatch {
    if (this.#columns === undefined) {
      const names = batch.columns.map((column) => column.name);
      this.#columns = infer
        ? inferColumnTypes(names, batch.rows as (string | null)[][])
        : batch.columns;
      this.#source = shown;
      this.#order = null;
    }
    if (this.#order === undefined) {
      this.#order = this.#orderOf(batch.columns, shown);
    }
    const order = this.#order;
    const rows = order === null
      ? batch.rows
      : batch.rows.map((row) => order.map((index) => row[index]));
    return { columns: this.#columns, rows };
  }

  #orderOf(found: Column[], shown: string): number[] | null {
    const expected = this.#columns!.map((column) => column.name);
    const names = found.map((column) => column.name);
    const order = expected.map((name) => names.indexOf(name));
    if (names.length !== expected.length || order.includes(-1)) {
      throw new SchemaError(
        `Cannot read ${shown}: its columns (${
          names.join(", ")
        }) differ from those of ${this.#source} (${expected.join(", ")})`,
      );
    }
    return order.every((index, position) => index === position) ? null : order;
  }
}
