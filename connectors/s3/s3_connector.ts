// The S3 connector: reads CSV, NDJSON and JSON objects of a bucket on AWS or
// an S3-compatible store (by key, prefix or glob), and writes NDJSON or CSV
// objects with streamed multipart uploads.

import { HeadBucketCommand } from "@aws-sdk/client-s3";
import type {
  CheckResult,
  Column,
  Connector,
  DiscoveredTable,
  ReadRequest,
  RecordBatch,
  WriteRequest,
  WriteResult,
} from "../types.ts";
import type { S3Config } from "./config.ts";
import { encodingOf } from "./object_format.ts";
import { openBucket, type S3Bucket, toS3Error } from "./s3_client.ts";
import { listObjects, readObjects } from "./s3_reader.ts";
import { writeObject } from "./s3_writer.ts";

/** Options for {@linkcode S3Connector}. */
export interface S3ConnectorOptions {
  /** Bytes per multipart upload part, at least 5 MiB (default 8 MiB). */
  partSize?: number;
  /** Parts uploaded at once (default 4); memory use is about partSize × this. */
  queueSize?: number;
  /** Objects `discover()` looks at, at most (default 1,000). */
  discoverLimit?: number;
}

const MIB = 1024 * 1024;

/**
 * Reads and writes objects of one bucket, under the configured prefix.
 *
 * `read()` honours `path` (else `table`, else the configured `path`): a key,
 * a prefix ending in `/` or a glob; `batchSize`, `signal`, and `cursor`:
 * `{ field: "_last_modified", after }` reads only objects modified after the
 * ISO time `after` and adds a `_last_modified` column for the engine to
 * remember; any other cursor field is a record column, filtered client-side
 * (every matching object is still downloaded).
 *
 * `write()` takes `table` as the object key; see {@linkcode writeObject}.
 */
export class S3Connector implements Connector {
  #config: S3Config;
  #s3: S3Bucket;
  #options: Required<S3ConnectorOptions>;

  constructor(config: S3Config, options: S3ConnectorOptions = {}) {
    this.#config = config;
    this.#s3 = openBucket(config);
    this.#options = {
      partSize: options.partSize ?? 8 * MIB,
      queueSize: options.queueSize ?? 4,
      discoverLimit: options.discoverLimit ?? 1000,
    };
  }

  /** Checks that the bucket exists and the credentials may use it. */
  async check(): Promise<CheckResult> {
    const { bucket, endpoint, region } = this.#config;
    try {
      await this.#s3.client.send(new HeadBucketCommand({ Bucket: bucket }));
    } catch (error) {
      throw toS3Error(
        error,
        `Cannot connect to S3 bucket ${JSON.stringify(bucket)} ${
          endpoint ? `at ${endpoint}` : `in ${region}`
        }`,
        { secrets: this.#s3.secrets, notFound: "bucket not found" },
      );
    }
    return { ok: true, version: "S3" };
  }

  /**
   * Tables under the prefix (first 1,000 objects): a folder holding several
   * readable objects is one table named after the folder ("sales/2026/");
   * a lone object, or one at the top, is a table named by its key. Columns
   * come from the first object of each.
   */
  async discover(): Promise<DiscoveredTable[]> {
    const { prefix } = this.#s3;
    const folders = new Map<string, string[]>();
    for await (
      const object of listObjects(this.#s3, prefix, {
        limit: this.#options.discoverLimit,
      })
    ) {
      const key = object.key.slice(prefix.length);
      if (object.size === 0 || !encodingOf(key, this.#config)) continue;
      const slash = key.lastIndexOf("/");
      // Top-level objects are unrelated files more often than parts.
      const folder = slash === -1 ? key : key.slice(0, slash + 1);
      const keys = folders.get(folder) ?? [];
      keys.push(key);
      folders.set(folder, keys);
    }
    const tables: DiscoveredTable[] = [];
    for (const [folder, keys] of folders) {
      const name = keys.length === 1 ? keys[0] : folder;
      tables.push({ name, columns: await this.#firstColumns(keys[0]) });
    }
    return tables;
  }

  /** Reads the objects `request` names, in key order (see the class doc). */
  read(request: ReadRequest = {}): AsyncGenerator<RecordBatch> {
    return readObjects(this.#s3, this.#config, request);
  }

  /** Uploads `batches` as one object (see {@linkcode writeObject}). */
  write(
    batches: AsyncIterable<RecordBatch>,
    request: WriteRequest,
  ): Promise<WriteResult> {
    return writeObject(this.#s3, batches, request, this.#config, {
      partSize: this.#options.partSize,
      queueSize: this.#options.queueSize,
    });
  }

  /** Closes the client's pooled connections. */
  close(): Promise<void> {
    this.#s3.client.destroy();
    return Promise.resolve();
  }

  async #firstColumns(key: string): Promise<Column[]> {
    // A glob-safe path: keys may contain * or ?.
    const path = key.replace(/[\\*?]/g, "\\$&");
    for await (const batch of this.read({ path })) return batch.columns;
    return [];
  }
}
