import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { ConnectorError } from "../errors.ts";
import type { RecordBatch } from "../types.ts";
import { batchesOf, collect, startS3 } from "./test_server.ts";

const MIB = 1024 * 1024;
const COLUMNS = [
  { name: "id", type: "bigint" as const },
  { name: "note", type: "text" as const },
];
// ~110 bytes a row: 60,000 rows are over 6 MiB, more than one 5 MiB part.
const NOTE = "x".repeat(90);
const MANY = Array.from({ length: 60_000 }, (_, i) => [i + 1, `${NOTE}${i}`]);

// Upload parts are PUTs with a part number; an abort is a DELETE with an upload ID.
function uploadedParts(requests: string[], key: string): number {
  return requests.filter((r) =>
    r.startsWith(`PUT /test-bucket/${key}?`) && r.includes("partNumber=")
  ).length;
}

function aborted(requests: string[], key: string): boolean {
  return requests.some((r) =>
    r.startsWith(`DELETE /test-bucket/${key}?`) && r.includes("uploadId=")
  );
}

function rowsOf(batches: RecordBatch[]): unknown[][] {
  return batches.flatMap((batch) => batch.rows);
}

Deno.test("S3Connector.write() uploads NDJSON over several parts and reads it back", async () => {
  await using s3 = await startS3();
  const connector = s3.connector({}, { partSize: 5 * MIB });
  const result = await connector.write(batchesOf(COLUMNS, MANY, 5000), {
    table: "out/orders.ndjson",
    mode: "replace",
  });
  assert.equal(result.rowsWritten, 60_000);
  assert.equal(uploadedParts(s3.requests, "out/orders.ndjson"), 2);
  const read = await collect(connector.read({ path: "out/orders.ndjson" }));
  const rows = rowsOf(read);
  assert.equal(rows.length, 60_000);
  assert.deepEqual(rows[59_999], [60_000, `${NOTE}59999`]);
  assert.deepEqual(read[0].columns, COLUMNS);
});

Deno.test("S3Connector.write() uploads gzip CSV over several parts and reads it back", async () => {
  await using s3 = await startS3();
  // Random notes, so that even compressed the object is over 5 MiB.
  const random = Array.from({ length: 100_000 }, (_, i) => {
    const bytes = crypto.getRandomValues(new Uint8Array(64));
    return [i + 1, btoa(String.fromCharCode(...bytes))];
  });
  const connector = s3.connector({ delimiter: ";" }, { partSize: 5 * MIB });
  await connector.write(batchesOf(COLUMNS, random, 5000), {
    table: "out/orders.csv.gz",
    mode: "replace",
  });
  assert.ok(uploadedParts(s3.requests, "out/orders.csv.gz") >= 2);
  const bytes = await s3.get("out/orders.csv.gz");
  assert.ok(bytes);
  const text = new TextDecoder().decode(gunzipSync(bytes));
  assert.ok(text.startsWith(`id;note\n1;${random[0][1]}\n`));
  const rows = rowsOf(await collect(connector.read({ path: "out/*.csv.gz" })));
  assert.equal(rows.length, 100_000);
  assert.deepEqual(rows[41], ["42", random[41][1]]);
});

Deno.test("S3Connector.write() with replace overwrites the object at the key", async () => {
  await using s3 = await startS3();
  const connector = s3.connector({ prefix: "lake/" });
  await s3.put("lake/orders.ndjson", '{"id":1,"note":"old"}\n');
  await connector.write(batchesOf(COLUMNS, [[2, "new"]]), {
    table: "orders.ndjson",
    mode: "replace",
  });
  assert.deepEqual(await s3.keys(), ["lake/orders.ndjson"]);
  const rows = rowsOf(await collect(connector.read({ path: "orders.ndjson" })));
  assert.deepEqual(rows, [[2, "new"]]);
});

Deno.test("S3Connector.write() with append adds a new part object beside the key", async () => {
  await using s3 = await startS3();
  const connector = s3.connector();
  await s3.put("orders.csv", "id,note\n1,first\n");
  for (const note of ["second", "third"]) {
    await connector.write(batchesOf(COLUMNS, [[2, note]]), {
      table: "orders.csv",
      mode: "append",
    });
  }
  // "-" sorts before ".": the parts list before the original object.
  const keys = await s3.keys();
  assert.equal(keys.length, 3);
  assert.equal(keys[2], "orders.csv");
  for (const key of keys.slice(0, 2)) {
    assert.match(key, /^orders-\d{8}T\d{9}Z-\d+\.csv$/);
  }
  const rows = rowsOf(await collect(connector.read({ path: "orders*.csv" })));
  assert.deepEqual(rows.map((row) => row[1]), ["second", "third", "first"]);
  assert.equal(await s3.get(keys[2]).then((b) => b?.length), 16, "unchanged");
});

Deno.test("S3Connector.write() gives a key without extension the format's", async () => {
  await using s3 = await startS3();
  await s3.connector().write(batchesOf(COLUMNS, [[1, "a"]]), {
    table: "daily/orders",
    mode: "replace",
  });
  await s3.connector({ format: "csv", gzip: true }).write(
    batchesOf(COLUMNS, [[1, "a"]]),
    { table: "daily/orders", mode: "replace" },
  );
  assert.deepEqual(await s3.keys(), [
    "daily/orders.csv.gz",
    "daily/orders.ndjson",
  ]);
});

Deno.test("S3Connector.write() refuses merge, JSON arrays and folder keys", async () => {
  await using s3 = await startS3();
  const connector = s3.connector();
  const write = (table: string, mode: "merge" | "replace") =>
    connector.write(batchesOf(COLUMNS, [[1, "a"]]), { table, mode });
  await assert.rejects(write("orders.ndjson", "merge"), (error) => {
    assert.ok(error instanceof ConnectorError);
    assert.equal(
      error.message,
      'Cannot write "s3://test-bucket/orders.ndjson": S3 cannot merge; use append or replace',
    );
    return true;
  });
  await assert.rejects(write("orders.json", "replace"), {
    message: /S3 writes csv or ndjson, not a JSON array/,
  });
  await assert.rejects(write("exports/", "replace"), {
    message:
      /the table must be an object key, e\.g\. "exports\/orders\.ndjson"/,
  });
  assert.deepEqual(await s3.keys(), []);
});

// The source fails after more than one part was uploaded, so a multipart
// upload is in progress and has to be aborted.
async function* failingSource(): AsyncGenerator<RecordBatch> {
  yield* batchesOf(COLUMNS, MANY, 5000);
  throw new Error("source broke");
}

Deno.test("S3Connector.write() leaves nothing at the key when the source fails mid-stream", async () => {
  await using s3 = await startS3();
  const connector = s3.connector({}, { partSize: 5 * MIB });
  for (const table of ["new.ndjson", "small.ndjson"]) {
    const source = table === "new.ndjson"
      ? failingSource()
      : (async function* () {
        yield { columns: COLUMNS, rows: [[1, "a"]] };
        throw new Error("source broke");
      })();
    await assert.rejects(
      connector.write(source, { table, mode: "replace" }),
      { message: "source broke" },
    );
  }
  assert.ok(uploadedParts(s3.requests, "new.ndjson") >= 1);
  assert.ok(aborted(s3.requests, "new.ndjson"));
  assert.equal(uploadedParts(s3.requests, "small.ndjson"), 0);
  assert.deepEqual(await s3.keys(), []);
});

Deno.test("S3Connector.write() keeps the existing object when a replace fails", async () => {
  await using s3 = await startS3();
  const connector = s3.connector({}, { partSize: 5 * MIB });
  await s3.put("orders.ndjson", '{"id":1,"note":"kept"}\n');
  await assert.rejects(
    connector.write(failingSource(), {
      table: "orders.ndjson",
      mode: "replace",
    }),
    { message: "source broke" },
  );
  const bytes = await s3.get("orders.ndjson");
  assert.equal(new TextDecoder().decode(bytes), '{"id":1,"note":"kept"}\n');
});

Deno.test("S3Connector.write() to a missing bucket is a SchemaError and ends the source", async () => {
  await using s3 = await startS3();
  const connector = s3.connector({ bucket: "no-such-bucket" }, {
    partSize: 5 * MIB,
  });
  let ended = false;
  async function* source(): AsyncGenerator<RecordBatch> {
    // ~110 MB if drained: far more than the parts in flight hold.
    try {
      for (let i = 0; i < 200; i++) {
        yield { columns: COLUMNS, rows: MANY.slice(0, 5000) };
      }
    } finally {
      ended = true;
    }
  }
  await assert.rejects(
    connector.write(source(), { table: "orders.ndjson", mode: "replace" }),
    {
      name: "SchemaError",
      message: 'Cannot write "s3://no-such-bucket/orders.ndjson": ' +
        'bucket "no-such-bucket" not found',
    },
  );
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(ended, true);
});

Deno.test("S3Connector.write() stops at the next batch when its signal aborts", async () => {
  await using s3 = await startS3();
  const controller = new AbortController();
  async function* source(): AsyncGenerator<RecordBatch> {
    yield { columns: COLUMNS, rows: [[1, "a"]] };
    controller.abort(new Error("run cancelled"));
    yield { columns: COLUMNS, rows: [[2, "b"]] };
  }
  await assert.rejects(
    s3.connector().write(source(), {
      table: "orders.ndjson",
      mode: "replace",
      signal: controller.signal,
    }),
    { message: "run cancelled" },
  );
  assert.deepEqual(await s3.keys(), []);
});
