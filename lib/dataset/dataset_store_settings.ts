// The ETL_DATASET_* settings: where a fleet stages datasets. Unset, they stay
// under ETL_DATA_DIR; `s3://bucket/prefix` puts them in S3 or any
// S3-compatible store, so workers on several machines need no shared disk.

import type { S3DatasetStoreSettings } from "./s3_dataset_store.ts";
import { parseS3Uri } from "./s3_dataset_store.ts";

/** Reads the dataset store settings; a bad value fails with the fix. */
export function datasetStoreSettings(
  env: Record<string, string | undefined>,
): S3DatasetStoreSettings | undefined {
  const uri = env.ETL_DATASET_STORE?.trim();
  if (!uri) return undefined;
  if (!/^s3:\/\//i.test(uri)) {
    throw new Error(
      `Cannot start: ETL_DATASET_STORE must be s3://bucket/prefix (or unset for the data directory)`,
    );
  }
  // Refuses credentials in the URI (the message does not repeat it).
  let parsed: { bucket: string; key: string };
  try {
    parsed = parseS3Uri(uri);
  } catch (error) {
    throw new Error(
      `Cannot start: ETL_DATASET_STORE is not s3://bucket/prefix without credentials (credentials go in ETL_DATASET_S3_ACCESS_KEY_ID and ETL_DATASET_S3_SECRET_ACCESS_KEY, not the URI)`,
      { cause: error },
    );
  }
  const { bucket, key } = parsed;
  const accessKeyId = env.ETL_DATASET_S3_ACCESS_KEY_ID ||
    env.AWS_ACCESS_KEY_ID || undefined;
  const secretAccessKey = env.ETL_DATASET_S3_SECRET_ACCESS_KEY ||
    env.AWS_SECRET_ACCESS_KEY || undefined;
  const sessionToken = env.ETL_DATASET_S3_SESSION_TOKEN ||
    env.AWS_SESSION_TOKEN || undefined;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new Error(
      `Cannot start: set both ETL_DATASET_S3_ACCESS_KEY_ID and ETL_DATASET_S3_SECRET_ACCESS_KEY (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or neither for the default AWS credential chain`,
    );
  }
  const endpoint = env.ETL_DATASET_S3_ENDPOINT || undefined;
  if (endpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(endpoint);
    } catch {
      url = undefined;
    }
    if (!url || !["http:", "https:"].includes(url.protocol)) {
      throw new Error(
        `Cannot start: ETL_DATASET_S3_ENDPOINT is not an http(s) URL, set it to e.g. https://minio.internal:9000`,
      );
    }
    if (url.username || url.password) {
      throw new Error(
        `Cannot start: ETL_DATASET_S3_ENDPOINT must not hold credentials; set ETL_DATASET_S3_ACCESS_KEY_ID and ETL_DATASET_S3_SECRET_ACCESS_KEY`,
      );
    }
  }
  return {
    root: key === "" ? `s3://${bucket}` : `s3://${bucket}/${key}`,
    endpoint,
    region: env.ETL_DATASET_S3_REGION || env.AWS_REGION || "us-east-1",
    credentials: accessKeyId && secretAccessKey
      ? { accessKeyId, secretAccessKey, sessionToken }
      : undefined,
  };
}
