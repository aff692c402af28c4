import assert from "node:assert/strict";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { S3RVER_KEY, startS3 } from "../../connectors/s3/test_server.ts";
import type { RecordBatch } from "../../connectors/types.ts";
import { openS3DatasetStore, parseS3Uri } from "./s3_dataset_store.ts";

const columns = [
  { name: "id", type: "bigint" as const },
  { name: "note", type: "text" as const },
];

async function* batches(count: number, size: number) {
  for (let b = 0; b < count; b++) {
    const rows = [];
    for (let i = 0; i < size; i++) {
      const n = b * size + i;
      rows.push([String(n), n % 7 ? `n\n"${n}"\t ü` : null]);
    }
    yield { columns, rows } as RecordBatch;
  }
}

async function rowsOf(source: AsyncIterable<RecordBatch>) {
  const rows: unknown[][] = [];
  for await (const batch of source) rows.push(...batch.rows);
  return rows;
}

function storeFor(endpoint: string, chunkBytes?: number, pageSize?: number) {
  return openS3DatasetStore({
    root: "s3://test-bucket/staging",
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: S3RVER_KEY, secretAccessKey: S3RVER_KEY },
  }, { chunkBytes, pageSize });
}

Deno.test("S3 dataset store: stage then read gives back every row, across chunks", async () => {
  await using s3 = await startS3();
  const store = storeFor(s3.endpoint, 5000);
  try {
    const uri = `${store.root}/run-1/extract`;
    const staged = await store.stage(uri, batches(6, 1000));
    assert.equal(staged.rowCount, 6000);
    assert.deepEqual(staged.columns, columns);
    const keys = await s3.keys();
    const chunks = keys.filter((k) => k.includes("/chunk-"));
    assert.ok(chunks.length > 3, `expected several chunks, got ${keys}`);
    assert.ok(keys.includes("staging/run-1/extract/dataset.json"));
    assert.ok(keys.includes("staging/run-1/extract/chunk-00000"));
    const rows = await rowsOf(store.read(staged));
    assert.equal(rows.length, 6000);
    const expected = await rowsOf(batches(6, 1000));
    // Read back decoded: bigint as number, text as given, null kept.
    assert.deepEqual(
      rows,
      expected.map(([id, note]) => [Number(id), note]),
    );
    // Staging again starts over rather than appending.
    const again = await store.stage(uri, batches(1, 10));
    assert.equal((await rowsOf(store.read(again))).length, 10);
    assert.equal(
      (await s3.keys()).filter((k) => k.includes("/chunk-")).length,
      1,
    );
  } finally {
    store.close();
  }
});

Deno.test("S3 dataset store: an empty dataset reads as one batch with its columns", async () => {
  await using s3 = await startS3();
  const store = storeFor(s3.endpoint);
  try {
    const staged = await store.stage(`${store.root}/run-2/e`, batches(0, 0));
    const read = [];
    for await (const batch of store.read({ ...staged, columns })) {
      read.push(batch);
    }
    assert.equal(read.length, 1);
    assert.deepEqual(read[0].columns, columns);
    assert.equal(read[0].rows.length, 0);
  } finally {
    store.close();
  }
});

Deno.test("S3 dataset store: drop removes every object of the run, in pages", async () => {
  await using s3 = await startS3();
  // One chunk per batch, and pages of 7 keys.
  const store = storeFor(s3.endpoint, 1, 7);
  try {
    await store.stage(`${store.root}/run-3/a`, batches(20, 5));
    await store.stage(`${store.root}/run-3/b`, batches(1, 10));
    await store.stage(`${store.root}/run-30/a`, batches(1, 10));
    // Enough chunk objects that listing and deleting span pages.
    assert.ok((await s3.keys()).length > 20);
    await store.drop(`${store.root}/run-3`);
    const left = await s3.keys();
    assert.ok(left.every((k) => k.startsWith("staging/run-30/")), `${left}`);
    assert.ok(left.length > 0);
    // Dropping what is gone is not an error.
    await store.drop(`${store.root}/run-3`);
  } finally {
    store.close();
  }
});

Deno.test("S3 dataset store: a missing object fails with a clear error", async () => {
  await using s3 = await startS3();
  const store = storeFor(s3.endpoint, 1000);
  try {
    const staged = await store.stage(`${store.root}/run-4/e`, batches(2, 200));
    await s3.client.send(
      new DeleteObjectCommand({
        Bucket: "test-bucket",
        Key: "staging/run-4/e/chunk-00001",
      }),
    );
    await assert.rejects(
      rowsOf(store.read(staged)),
      /Cannot read staged dataset "s3:\/\/test-bucket\/staging\/run-4\/e": chunk "chunk-00001" is missing/,
    );
    await store.drop(staged.uri);
    await assert.rejects(
      rowsOf(store.read(staged)),
      /dataset\.json is missing from the dataset store/,
    );
  } finally {
    store.close();
  }
});

Deno.test("S3 dataset store: errors never show the secret key", async () => {
  await using s3 = await startS3();
  const store = openS3DatasetStore({
    root: "s3://test-bucket/staging",
    endpoint: s3.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "WRONG", secretAccessKey: "hunter2-secret" },
  });
  try {
    const error = await store.stage(`${store.root}/run-5/e`, batches(1, 5))
      .then(() => undefined, (e: Error) => e);
    assert.ok(error, "a wrong secret key must fail");
    assert.match(error.message, /Cannot (drop|stage)/);
    assert.ok(!error.message.includes("hunter2-secret"));
  } finally {
    store.close();
  }
});

Deno.test("parseS3Uri() refuses credentials in the URI without echoing them", () => {
  assert.deepEqual(parseS3Uri("s3://b/p/q/"), { bucket: "b", key: "p/q" });
  assert.deepEqual(parseS3Uri("s3://b"), { bucket: "b", key: "" });
  assert.throws(
    () => parseS3Uri("s3://AKIA:topsecret@bucket/p"),
    (error: Error) => !error.message.includes("topsecret"),
  );
});

/** Three batches, then the source breaks. */
async function* failing(): AsyncGenerator<RecordBatch> {
  yield* batches(3, 100);
  throw new Error("source went away");
}

Deno.test("S3 dataset store: a failing source fails the stage with its own error, no dataset left readable", async () => {
  await using s3 = await startS3();
  const store = storeFor(s3.endpoint, 1000);
  try {
    const uri = `${store.root}/run-6/e`;
    await assert.rejects(store.stage(uri, failing()), /source went away/);
    assert.ok(!(await s3.keys()).includes("staging/run-6/e/dataset.json"));
    await assert.rejects(
      rowsOf(store.read({ uri, columns })),
      /dataset\.json is missing/,
    );
    const aborted = new AbortController();
    aborted.abort(new Error("cancelled"));
    await assert.rejects(
      store.stage(uri, batches(2, 10), { signal: aborted.signal }),
      /cancelled/,
    );
  } finally {
    store.close();
  }
});
