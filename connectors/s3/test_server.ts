// A real S3 server for tests: s3rver on a free port of 127.0.0.1, with one
// empty bucket, its files in a temporary directory removed on dispose.

import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { s3ConfigSchema } from "./config.ts";
import { S3Connector, type S3ConnectorOptions } from "./s3_connector.ts";

/** s3rver's fixed credentials; it refuses any others. */
export const S3RVER_KEY = "S3RVER";

/** A running test server with one bucket. */
export interface TestS3 extends AsyncDisposable {
  endpoint: string;
  bucket: string;
  /** A client of its own, to arrange and inspect objects. */
  client: S3Client;
  /** A connector config for the bucket, with `overrides` applied. */
  config(overrides?: Record<string, unknown>): Record<string, unknown>;
  /** A connector for the bucket (closed on dispose). */
  connector(
    overrides?: Record<string, unknown>,
    options?: S3ConnectorOptions,
  ): S3Connector;
  put(key: string, body: string | Uint8Array): Promise<void>;
  /** The object's bytes, or undefined when there is none. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Every key of the bucket, in order. */
  keys(): Promise<string[]>;
  /** Requests the server received, as "METHOD /path?query". */
  requests: string[];
}

/** Starts s3rver with the bucket `bucket` (default "test-bucket"). */
export async function startS3(bucket = "test-bucket"): Promise<TestS3> {
  const directory = await Deno.makeTempDir({ prefix: "s3rver_" });
  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory,
  });
  // s3rver is a Koa app: a first middleware sees every request, which lets
  // tests prove that an upload really was multipart, or was aborted.
  const requests: string[] = [];
  server.middleware.unshift(
    (ctx: { method: string; url: string }, next: () => Promise<void>) => {
      requests.push(`${ctx.method} ${ctx.url}`);
      return next();
    },
  );
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    region: "us-east-1",
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  const connectors: S3Connector[] = [];
  const config = (overrides: Record<string, unknown> = {}) => ({
    bucket,
    endpoint,
    access_key_id: S3RVER_KEY,
    secret_access_key: S3RVER_KEY,
    timeout_seconds: 5,
    ...overrides,
  });
  return {
    endpoint,
    bucket,
    client,
    config,
    requests,
    connector(overrides, options) {
      const connector = new S3Connector(
        s3ConfigSchema.parse(config(overrides)),
        options,
      );
      connectors.push(connector);
      return connector;
    },
    async put(key, body) {
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }),
      );
    },
    async get(key) {
      try {
        const response = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: key }),
        );
        return await response.Body!.transformToByteArray();
      } catch (error) {
        if ((error as Error).name === "NoSuchKey") return undefined;
        throw error;
      }
    },
    async keys() {
      const listed = await client.send(
        new ListObjectsV2Command({ Bucket: bucket }),
      );
      return (listed.Contents ?? []).map((item) => item.Key!);
    },
    async [Symbol.asyncDispose]() {
      for (const connector of connectors) await connector.close();
      client.destroy();
      await server.close();
      await Deno.remove(directory, { recursive: true });
    },
  };
}

/** Every batch of `batches`, for assertions. */
export async function collect<T>(batches: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const batch of batches) all.push(batch);
  return all;
}

/** Batches of `rows` (in `size`-row batches) with `columns`, as an async source. */
export async function* batchesOf(
  columns: { name: string; type: "text" | "bigint" }[],
  rows: unknown[][],
  size = 1000,
): AsyncGenerator<{ columns: typeof columns; rows: unknown[][] }> {
  for (let start = 0; start < rows.length; start += size) {
    yield { columns, rows: rows.slice(start, start + size) };
  }
}
