import assert from "node:assert/strict";
import { datasetStoreSettings } from "./dataset_store_settings.ts";
import { loadConfig } from "../config.ts";

Deno.test("datasetStoreSettings(): unset keeps datasets in the data directory", () => {
  assert.equal(datasetStoreSettings({}), undefined);
  assert.equal(loadConfig({}).datasetStore, undefined);
});

Deno.test("datasetStoreSettings(): reads the ETL_ names first, then AWS_", () => {
  assert.deepEqual(
    datasetStoreSettings({
      ETL_DATASET_STORE: "s3://acme/etl/staging/",
      ETL_DATASET_S3_ENDPOINT: "http://127.0.0.1:9000",
      ETL_DATASET_S3_REGION: "eu-west-3",
      ETL_DATASET_S3_ACCESS_KEY_ID: "etl-key",
      AWS_ACCESS_KEY_ID: "aws-key",
      AWS_SECRET_ACCESS_KEY: "aws-secret",
    }),
    {
      root: "s3://acme/etl/staging",
      endpoint: "http://127.0.0.1:9000",
      region: "eu-west-3",
      credentials: {
        accessKeyId: "etl-key",
        secretAccessKey: "aws-secret",
        sessionToken: undefined,
      },
    },
  );
  // No keys: the SDK's default chain (instance role…).
  assert.deepEqual(datasetStoreSettings({ ETL_DATASET_STORE: "s3://acme" }), {
    root: "s3://acme",
    endpoint: undefined,
    region: "us-east-1",
    credentials: undefined,
  });
});

Deno.test("datasetStoreSettings(): bad values fail with the fix, never echoing secrets", () => {
  const bad: [Record<string, string>, RegExp][] = [
    [{ ETL_DATASET_STORE: "/mnt/shared" }, /must be s3:\/\/bucket\/prefix/],
    [{ ETL_DATASET_STORE: "s3://key:topsecret@acme/x" }, /not the URI/],
    [
      { ETL_DATASET_STORE: "s3://acme", AWS_ACCESS_KEY_ID: "k" },
      /set both/,
    ],
    [
      { ETL_DATASET_STORE: "s3://acme", ETL_DATASET_S3_ENDPOINT: "minio" },
      /not an http\(s\) URL/,
    ],
    [
      {
        ETL_DATASET_STORE: "s3://acme",
        ETL_DATASET_S3_ENDPOINT: "http://u:topsecret@minio:9000",
      },
      /must not hold credentials/,
    ],
  ];
  for (const [env, message] of bad) {
    assert.throws(() => loadConfig(env), (error: Error) => {
      assert.match(error.message, message);
      assert.ok(!error.message.includes("topsecret"), error.message);
      return true;
    });
  }
});
