// The S3 client of one connector configuration, how its objects are named in
// messages, and how its errors become the platform's typed errors.

import { S3Client } from "@aws-sdk/client-s3";
import {
  AuthError,
  ConnectionError,
  ConnectorError,
  SchemaError,
} from "../errors.ts";
import { redactSecrets } from "../../lib/secrets/redact.ts";
import type { S3Config } from "./config.ts";

/** A connected bucket: the client, where keys live and what to redact. */
export interface S3Bucket {
  client: S3Client;
  bucket: string;
  /** Prepended to every path and key: "" or a folder ending in "/". */
  prefix: string;
  /** Values never to show in messages. */
  secrets: string[];
}

/** Opens a client for `config`; requests fail fast after `timeout_seconds`. */
export function openBucket(config: S3Config): S3Bucket {
  const timeout = config.timeout_seconds * 1000;
  const client = new S3Client({
    region: config.region,
    endpoint: config.endpoint,
    forcePathStyle: config.force_path_style ?? config.endpoint !== undefined,
    credentials: {
      accessKeyId: config.access_key_id,
      secretAccessKey: config.secret_access_key,
      sessionToken: config.session_token,
    },
    // A bucket in another region answers with a redirect the SDK can follow.
    followRegionRedirects: true,
    // Two retries ride out a blip; more would hide an unreachable store.
    maxAttempts: 3,
    requestHandler: {
      connectionTimeout: timeout,
      requestTimeout: timeout,
      throwOnRequestTimeout: true,
    },
    // Checksums only where an operation requires them: S3-compatible stores
    // (s3rver, older MinIO) reject the SDK's default streamed-upload
    // checksums, and AWS does not need them.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const prefix = config.prefix ?? "";
  return {
    client,
    bucket: config.bucket,
    prefix: prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/`,
    secrets: [config.secret_access_key, config.session_token ?? ""],
  };
}

/** `s3://bucket/key`, quoted, for messages. */
export function objectName(bucket: string, key: string): string {
  return JSON.stringify(`s3://${bucket}/${key}`);
}

// HEAD requests have no body, so their errors carry only a status: the
// status decides first.
interface SdkErrorLike {
  name?: string;
  message?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
}

const AUTH_NAMES = new Set([
  "AccessDenied",
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
  "TokenRefreshRequired",
]);

const NOT_FOUND_NAMES = new Set(["NoSuchBucket", "NoSuchKey", "NotFound"]);

// Node socket errors and the SDK's own names for a store that cannot be reached.
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "TimeoutError",
  "RequestTimeout",
  "NetworkingError",
]);

/** Options for {@linkcode toS3Error}. */
export interface ToS3ErrorOptions {
  /** Removed from the message wherever they appear (secret key, session token). */
  secrets?: Iterable<string>;
  /** What a 404 means here, e.g. `bucket "acme" not found`. */
  notFound?: string;
}

/**
 * Maps `error` to a typed connector error whose message starts with
 * `context` (`Cannot read "s3://acme/orders.csv"`). Typed errors pass through.
 */
export function toS3Error(
  error: unknown,
  context: string,
  options: ToS3ErrorOptions = {},
): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const sdk = (error ?? {}) as SdkErrorLike;
  const status = sdk.$metadata?.httpStatusCode;
  const name = sdk.name ?? "";
  const cause = { cause: error };
  const say = (detail: string) =>
    `${context}: ${redactSecrets(detail, options.secrets ?? [])}`;
  if (status === 403 || AUTH_NAMES.has(name)) {
    return new AuthError(say(describe(sdk, "access denied")), cause);
  }
  if (status === 404 || NOT_FOUND_NAMES.has(name)) {
    const fallback = options.notFound ?? "not found";
    const detail = name === "NoSuchBucket" || name === "NoSuchKey" ||
        !sdk.message || sdk.message === "UnknownError"
      ? fallback
      : sdk.message;
    return new SchemaError(say(detail), cause);
  }
  if (
    NETWORK_CODES.has(sdk.code ?? "") || NETWORK_CODES.has(name) ||
    (status !== undefined && status >= 500)
  ) {
    return new ConnectionError(say(describe(sdk, "store unavailable")), cause);
  }
  if (name === "AbortError") {
    return new ConnectorError(say("aborted"), cause);
  }
  return new ConnectorError(say(describe(sdk, String(error))), cause);
}

// "UnknownError" is what the SDK says when the response had no body.
function describe(sdk: SdkErrorLike, fallback: string): string {
  const message = sdk.message && sdk.message !== "UnknownError"
    ? sdk.message
    : fallback;
  const status = sdk.$metadata?.httpStatusCode;
  return status === undefined ? message : `${message} (HTTP ${status})`;
}
