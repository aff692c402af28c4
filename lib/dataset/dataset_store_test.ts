import assert from "node:assert/strict";
import {
  DatasetMissingError,
  datasetStoreFor,
  readDataset,
  registerDatasetStore,
  stageDataset,
  type StagedDataset,
} from "./dataset_store.ts";
import { localDatasetStore } from "./local_dataset_store.ts";
import type { RecordBatch } from "../../connectors/types.ts";

const columns = [{ name: "id", type: "bigint" as const }, {
  name: "note",
  type: "text" as const,
}];

async function* batches(
  count: number,
  size: number,
): AsyncGenerator<RecordBatch> {
  for (let b = 0; b < count; b++) {
    const rows = [];
    for (let i = 0; i < size; i++) {
      rows.push([String(b * size + i), i % 7 ? `n\n"${i}"\t` : null]);
    }
    yield { columns, rows };
  }
}

Deno.test("stageDataset() then readDataset() gives back every row in order", async () => {
  const dir = await Deno.makeTempDir();
  const staged = await stageDataset(`${dir}/out`, batches(5, 1000));
  assert.equal(staged.rowCount, 5000);
  let n = 0;
  for await (const batch of readDataset(staged)) {
    for (const row of batch.rows) {
      assert.equal(row[0], n);
      assert.equal(row[1], n % 1000 % 7 ? `n\n"${n % 1000}"\t` : null);
      n++;
    }
  }
  assert.equal(n, 5000);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("stageDataset() starts over when a job is re-delivered", async () => {
  const dir = await Deno.makeTempDir();
  await stageDataset(`${dir}/out`, batches(3, 10));
  const staged = await stageDataset(`${dir}/out`, batches(1, 10));
  let n = 0;
  for await (const batch of readDataset(staged)) n += batch.rows.length;
  assert.equal(n, 10);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("readDataset() of an empty dataset still yields its columns", async () => {
  const dir = await Deno.makeTempDir();
  const staged = await stageDataset(
    `${dir}/out`,
    (async function* () {
      yield { columns, rows: [] };
    })(),
  );
  const all = await Array.fromAsync(readDataset(staged));
  assert.deepEqual(all, [{ columns, rows: [] }]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("readDataset() of a dataset staged on another machine fails instead of reading as empty", async () => {
  const dir = await Deno.makeTempDir();
  await assert.rejects(
    () => Array.fromAsync(readDataset({ uri: `${dir}/elsewhere`, columns })),
    DatasetMissingError,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("datasetStoreFor() picks the local store for paths and names an unknown scheme", async () => {
  assert.equal(datasetStoreFor("/tmp/x"), localDatasetStore);
  assert.equal(datasetStoreFor("file:///tmp/x"), localDatasetStore);
  assert.throws(
    () => datasetStoreFor("s3://bucket/run-1/read"),
    /no dataset store for "s3:\/\/" URIs/,
  );
  const staged: StagedDataset[] = [];
  registerDatasetStore("mem", {
    stage(uri, _batches) {
      const dataset = { uri, columns, rowCount: 0, byteCount: 0 };
      staged.push(dataset);
      return Promise.resolve(dataset);
    },
    async *read(dataset) {
      yield { columns: dataset.columns, rows: [] };
    },
    drop: () => Promise.resolve(),
  });
  await stageDataset("mem://run-1/read", batches(1, 1));
  assert.deepEqual(staged.map((d) => d.uri), ["mem://run-1/read"]);
});
