// Configuration of the S3 connector (AWS or any S3-compatible store): one
// schema for the API, the YAML loader and the forms. The secret key and the
// session token are secret: stored encrypted, write-only.

import { z } from "zod";

const oneCharacter = z.string().length(1, "Delimiter must be one character")
  .refine(
    (value) => value !== "\n" && value !== "\r",
    "Delimiter cannot be a line break",
  );

/** Configuration of an S3 bucket source or target. */
export const s3ConfigSchema = z.object({
  bucket: z.string().regex(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
    "Bucket names are 3 to 63 lowercase letters, digits, dots or hyphens, e.g. acme-exports",
  ).describe("Name of the bucket"),
  region: z.string().min(1).default("us-east-1").describe(
    "Region of the bucket, e.g. eu-west-1; S3-compatible stores usually accept us-east-1",
  ),
  endpoint: z.url({ protocol: /^https?$/ }).optional().describe(
    "URL of an S3-compatible store (MinIO, Ceph, R2…), e.g. http://minio:9000; leave empty for AWS",
  ),
  force_path_style: z.boolean().optional().describe(
    "Address buckets as <endpoint>/<bucket> instead of <bucket>.<endpoint>; default false on AWS, true when an endpoint is set",
  ),
  access_key_id: z.string().min(1).describe("Access key ID"),
  secret_access_key: z.string().min(1).meta({ secret: true }).describe(
    "Secret access key; stored encrypted and never shown again",
  ),
  session_token: z.string().min(1).optional().meta({ secret: true }).describe(
    "Session token of temporary credentials; stored encrypted and never shown again",
  ),
  prefix: z.string().optional().describe(
    'Folder the connector works in, e.g. exports/: paths read, keys written and tables discovered are relative to it ("/" is added when missing)',
  ),
  path: z.string().min(1).optional().describe(
    "What to read: a key (orders.csv), a prefix ending in / (exports/2026-01/) or a glob (exports/2026-*/orders-*.csv.gz; * within a folder, ** across folders, ? one character)",
  ),
  format: z.enum(["csv", "ndjson", "json"]).optional().describe(
    "Format of the objects: csv, ndjson or json (an array of records); when not set, from the extension: .csv/.tsv, .ndjson/.jsonl, .json, optionally followed by .gz",
  ),
  gzip: z.boolean().optional().describe(
    'Objects are gzip-compressed; when not set, true for keys ending in ".gz"',
  ),
  delimiter: oneCharacter.optional().describe(
    'CSV field separator, one character; default "," (tab for .tsv keys)',
  ),
  header: z.boolean().default(true).describe(
    "CSV: the first line names the columns; otherwise they are named column_1, column_2, …",
  ),
  records_path: z.string().min(1).optional().describe(
    "JSON: dotted path of the array of records inside the document, e.g. data.items; default the document itself",
  ),
  timeout_seconds: z.coerce.number().positive().max(600).default(10).describe(
    "Seconds to wait for a connection and for each response (an upload part must be sent within it too)",
  ),
});

/** A validated S3 configuration. */
export type S3Config = z.infer<typeof s3ConfigSchema>;
