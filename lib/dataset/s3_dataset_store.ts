// The S3 dataset store, for fleets without a shared disk: a dataset at
// `s3://bucket/prefix/run-1/step` is the objects `…/step/chunk-00000`, … of
// PostgreSQL COPY text (the local store's format, read by copy_decode.ts, so
// loads are unchanged) plus `…/step/dataset.json` written last. Chunks go up
// as streamed multipart uploads and come back as streams, so memory stays
// bounded by the upload part size, never the dataset's. Works with any
// S3-compatible store (MinIO, s3rver) through an endpoint.

import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { Column, RecordBatch } from "../../connectors/types.ts";
import { redactSecrets } from "../secrets/redact.ts";
import type {
  DatasetStore,
  StagedDataset,
  StageOptions,
} from "./dataset_store.ts";
import {
  batchCopyText,
  batchRowCount,
  CopyTextBatch,
  lineGroups,
} from "./copy_decode.ts";

/** Where and how the S3 dataset store connects (ETL_DATASET_* settings). */
export interface S3DatasetStoreSettings {
  /** `s3://bucket` or `s3://bucket/prefix`: where runs stage datasets. */
  root: string;
  /** An S3-compatible store's URL (MinIO…); unset: AWS. */
  endpoint?: string;
  region: string;
  /** Unset: the SDK's default credential chain (instance role…). */
  credentials?: {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
  };
}

/** Tuning, for tests. */
export interface S3DatasetStoreOptions {
  /** A new chunk object after this many bytes. */
  chunkBytes?: number;
  /** Bytes per multipart upload part, at least 5 MiB (S3's minimum). */
  partBytes?: number;
  /** Keys per list and delete request (S3 allows at most 1000). */
  pageSize?: number;
}

/** An S3 dataset store with the client it holds. */
export interface S3DatasetStore extends DatasetStore {
  /** The configured root (`s3://bucket/prefix`), without a trailing slash. */
  root: string;
  close(): void;
}

const CHUNK_BYTES = 64 * 1024 * 1024;
const PART_BYTES = 8 * 1024 * 1024;
// Rows per batch read back (the writer's batches are not remembered).
const READ_BATCH_ROWS = 10_000;
// ListObjectsV2 returns and DeleteObjects takes at most 1000 keys.
const PAGE_SIZE = 1000;

/** `s3://bucket/key…` split; a URI with credentials or no bucket is refused. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/@]+)(?:\/(.*))?$/i.exec(uri);
  if (!match) {
    throw new Error(
      `Cannot use dataset location: expected s3://bucket/prefix (credentials go in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, not the URI)`,
    );
  }
  return { bucket: match[1], key: (match[2] ?? "").replace(/\/+$/, "") };
}

/** Opens the store for `settings`; its URIs are `s3://…`. */
export function openS3DatasetStore(
  settings: S3DatasetStoreSettings,
  options: S3DatasetStoreOptions = {},
): S3DatasetStore {
  const chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
  const partBytes = options.partBytes ?? PART_BYTES;
  const pageSize = options.pageSize ?? PAGE_SIZE;
  const client = new S3Client({
    region: settings.region,
    endpoint: settings.endpoint,
    forcePathStyle: settings.endpoint !== undefined,
    credentials: settings.credentials,
    followRegionRedirects: true,
    maxAttempts: 3,
    // As connectors/s3: checksums only where an operation requires them;
    // S3-compatible stores (s3rver, older MinIO) reject the SDK's default
    // streamed-upload checksums.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const secrets = [
    settings.credentials?.secretAccessKey ?? "",
    settings.credentials?.sessionToken ?? "",
  ];
  // Store errors name the dataset, never the endpoint or credentials.
  const fail = (context: string, error: unknown): Error => {
    const sdk = error as {
      name?: string;
      message?: string;
      $metadata?: { httpStatusCode?: number };
    };
    const status = sdk?.$metadata?.httpStatusCode;
    const detail = `${sdk?.name ?? "Error"}: ${sdk?.message ?? String(error)}${
      status ? ` (HTTP ${status})` : ""
    }`;
    return new Error(`${context}: ${redactSecrets(detail, secrets)}`);
  };

  // Lists a page and deletes it until nothing is left: no continuation
  // token to go stale while the listing shrinks. ListObjects (v1) because
  // every S3-compatible store pages it alike (s3rver fails a truncated v2).
  async function drop(uri: string): Promise<void> {
    const { bucket, key } = parseS3Uri(uri);
    const prefix = key === "" ? "" : `${key}/`;
    try {
      for (;;) {
        const page = await client.send(
          new ListObjectsCommand({
            Bucket: bucket,
            Prefix: prefix,
            MaxKeys: pageSize,
          }),
        );
        const keys = (page.Contents ?? []).map((item) => item.Key!);
        if (keys.length === 0) return;
        const result = await client.send(
          new DeleteObjectsCommand({
            Bucket: bucket,
            Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
          }),
        );
        const failed = result.Errors?.[0];
        if (failed) {
          throw new Error(
            `${failed.Key}: ${failed.Code ?? ""} ${failed.Message ?? ""}`,
          );
        }
      }
    } catch (error) {
      throw fail(`Cannot drop staged datasets "${uri}"`, error);
    }
  }

  async function stage(
    uri: string,
    batches: AsyncIterable<RecordBatch>,
    options: StageOptions = {},
  ): Promise<StagedDataset> {
    const { bucket, key } = parseS3Uri(uri);
    // A re-delivered job starts over instead of mixing in old chunks.
    await drop(uri);
    const encoder = new TextEncoder();
    let columns: Column[] | undefined;
    let rowCount = 0;
    let byteCount = 0;
    const iterator = batches[Symbol.asyncIterator]();
    // The next non-empty batch's COPY text, or undefined at the end.
    const nextBytes = async (): Promise<Uint8Array | undefined> => {
      for (;;) {
        options.signal?.throwIfAborted();
        const next = await iterator.next();
        if (next.done) return undefined;
        const batch = next.value;
        columns ??= batch.columns;
        const rows = batchRowCount(batch);
        if (rows === 0) continue;
        const text = batchCopyText(batch);
        const bytes = typeof text === "string" ? encoder.encode(text) : text;
        byteCount += bytes.length;
        rowCount += rows;
        options.onProgress?.(rowCount);
        return bytes;
      }
    };
    let chunks = 0;
    let pending = await nextBytes();
    try {
      while (pending) {
        let first: Uint8Array | undefined = pending;
        pending = undefined;
        let written = 0;
        let sourceError: unknown;
        // One chunk object: batches stream into it until it is big enough;
        // the batch after that opens the next chunk.
        const body = new ReadableStream<Uint8Array>({
          async pull(controller) {
            try {
              const bytes = first ?? await nextBytes();
              first = undefined;
              if (!bytes) return controller.close();
              written += bytes.length;
              controller.enqueue(bytes);
              if (written >= chunkBytes) {
                pending = await nextBytes();
                controller.close();
              }
            } catch (error) {
              sourceError = error;
              controller.error(error);
            }
          },
        });
        const chunkKey = `${key}/chunk-${String(chunks).padStart(5, "0")}`;
        const upload = new Upload({
          client,
          params: { Bucket: bucket, Key: chunkKey, Body: body },
          partSize: partBytes,
          queueSize: 1,
          leavePartsOnError: false,
        });
        try {
          await upload.done();
        } catch (error) {
          if (sourceError !== undefined) throw sourceError;
          throw fail(`Cannot stage dataset "${uri}"`, error);
        }
        chunks++;
      }
    } finally {
      await iterator.return?.();
    }
    const staged = { uri, columns: columns ?? [], rowCount, byteCount };
    try {
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: `${key}/dataset.json`,
          Body: JSON.stringify({ ...staged, chunks }),
          ContentType: "application/json",
        }),
      );
    } catch (error) {
      throw fail(`Cannot stage dataset "${uri}"`, error);
    }
    return staged;
  }

  async function* read(
    dataset: Pick<StagedDataset, "uri" | "columns">,
  ): AsyncGenerator<RecordBatch> {
    const { uri, columns } = dataset;
    const { bucket, key } = parseS3Uri(uri);
    const body = async (objectKey: string, what: string) => {
      try {
        const response = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: objectKey }),
        );
        return response.Body!;
      } catch (error) {
        const name = (error as { name?: string })?.name;
        if (name === "NoSuchKey" || name === "NotFound") {
          throw new Error(
            `Cannot read staged dataset "${uri}": ${what} is missing from the dataset store (dropped when its run ended, or never staged)`,
          );
        }
        throw fail(`Cannot read staged dataset "${uri}"`, error);
      }
    };
    // Written last by stage: its absence means the dataset is not (all) there.
    const manifest = JSON.parse(
      await (await body(`${key}/dataset.json`, "dataset.json"))
        .transformToString(),
    ) as { chunks: number };
    let yielded = false;
    for (let index = 0; index < manifest.chunks; index++) {
      const name = `chunk-${String(index).padStart(5, "0")}`;
      const stream = (await body(`${key}/${name}`, `chunk "${name}"`))
        .transformToWebStream() as ReadableStream<Uint8Array>;
      try {
        for await (const text of lineGroups(stream, READ_BATCH_ROWS)) {
          yielded = true;
          yield new CopyTextBatch(columns, text);
        }
      } catch (error) {
        throw fail(`Cannot read staged dataset "${uri}"`, error);
      }
    }
    // Downstream steps still learn the columns of an empty dataset.
    if (!yielded) yield { columns, rows: [] };
  }

  const { bucket, key } = parseS3Uri(settings.root);
  return {
    root: key === "" ? `s3://${bucket}` : `s3://${bucket}/${key}`,
    stage,
    read,
    drop,
    close: () => client.destroy(),
  };
}
