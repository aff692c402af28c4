import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { DataError, SchemaError } from "../errors.ts";
import { collect, startS3 } from "./test_server.ts";
import type { RecordBatch } from "../types.ts";

function rowsOf(batches: RecordBatch[]): unknown[][] {
  return batches.flatMap((batch) => batch.rows);
}

Deno.test("S3Connector.read() reads one CSV object with inferred column types", async () => {
  await using s3 = await startS3();
  await s3.put("sales.csv", "id,name,amount\n1,Ann,12.50\n2,Bob,\n");
  const batches = await collect(s3.connector().read({ path: "sales.csv" }));
  assert.deepEqual(batches[0].columns, [
    { name: "id", type: "bigint" },
    { name: "name", type: "text" },
    { name: "amount", type: "numeric" },
  ]);
  assert.deepEqual(rowsOf(batches), [["1", "Ann", "12.50"], [
    "2",
    "Bob",
    null,
  ]]);
});

Deno.test("S3Connector.read() decodes NDJSON, JSON arrays and their gzip variants", async () => {
  await using s3 = await startS3();
  const ndjson = '{"id":1,"tag":"a"}\n{"id":2,"tag":"b"}\n';
  const json = JSON.stringify({ data: { items: [{ id: 1, tag: "a" }] } });
  await s3.put("a.ndjson", ndjson);
  await s3.put("b.jsonl.gz", gzipSync(ndjson));
  await s3.put("c.json", json);
  await s3.put("d.json.gz", gzipSync(json));
  await s3.put("e.tsv.gz", gzipSync("id\ttag\n1\ta\n"));
  const expected = [
    ["a.ndjson", {}, [[1, "a"], [2, "b"]]],
    ["b.jsonl.gz", {}, [[1, "a"], [2, "b"]]],
    ["c.json", { records_path: "data.items" }, [[1, "a"]]],
    ["d.json.gz", { records_path: "data.items" }, [[1, "a"]]],
    ["e.tsv.gz", {}, [["1", "a"]]],
  ] as const;
  for (const [path, config, rows] of expected) {
    const batches = await collect(s3.connector(config).read({ path }));
    assert.deepEqual(rowsOf(batches), rows, path);
    assert.deepEqual(batches[0].columns.map((c) => c.name), ["id", "tag"]);
  }
});

Deno.test("S3Connector.read() honours a configured format and gzip over the extension", async () => {
  await using s3 = await startS3();
  await s3.put("export.data", gzipSync("a;b\n1;2\n"));
  const connector = s3.connector({ format: "csv", gzip: true, delimiter: ";" });
  const batches = await collect(connector.read({ path: "export.data" }));
  assert.deepEqual(rowsOf(batches), [["1", "2"]]);
});

Deno.test("S3Connector.read() reads every object under a prefix in key order", async () => {
  await using s3 = await startS3();
  await s3.put("exports/2026-01/b.csv", "id\n2\n");
  await s3.put("exports/2026-01/a.csv", "id\n1\n");
  await s3.put("exports/2026-01/deep/c.csv", "id\n3\n");
  await s3.put("exports/2026-01/_SUCCESS", new Uint8Array());
  await s3.put("exports/2026-02/d.csv", "id\n4\n");
  const connector = s3.connector();
  const batches = await collect(connector.read({ path: "exports/2026-01/" }));
  assert.deepEqual(rowsOf(batches), [["1"], ["2"], ["3"]]);
  const all = await collect(connector.read({}));
  assert.deepEqual(rowsOf(all), [["1"], ["2"], ["3"], ["4"]]);
});

Deno.test("S3Connector.read() reads the objects a glob matches, ** across folders", async () => {
  await using s3 = await startS3();
  await s3.put("exports/2026-01/orders-1.csv.gz", gzipSync("id\n1\n"));
  await s3.put("exports/2026-01/orders-2.csv.gz", gzipSync("id\n2\n"));
  await s3.put("exports/2026-01/refunds-1.csv.gz", gzipSync("id\n9\n"));
  await s3.put("exports/2026-02/x/orders-3.csv.gz", gzipSync("id\n3\n"));
  await s3.put("exports/2025-12/orders-0.csv.gz", gzipSync("id\n0\n"));
  const connector = s3.connector();
  const glob = "exports/2026-*/orders-*.csv.gz";
  assert.deepEqual(rowsOf(await collect(connector.read({ path: glob }))), [
    ["1"],
    ["2"],
  ]);
  const deep = "exports/2026-*/**/orders-?.csv.gz";
  assert.deepEqual(rowsOf(await collect(connector.read({ path: deep }))), [
    ["1"],
    ["2"],
    ["3"],
  ]);
  const none = await collect(connector.read({ path: "exports/*.csv" }));
  assert.deepEqual(none, []);
});

Deno.test("S3Connector.read() resolves paths inside the configured prefix", async () => {
  await using s3 = await startS3();
  await s3.put("team/a/orders.csv", "id\n1\n");
  await s3.put("other/a/orders.csv", "id\n2\n");
  const connector = s3.connector({ prefix: "team", path: "a/*.csv" });
  assert.deepEqual(rowsOf(await collect(connector.read())), [["1"]]);
});

Deno.test("S3Connector.read() holds later objects to the first object's columns", async () => {
  await using s3 = await startS3();
  await s3.put("parts/1.ndjson", '{"id":1,"name":"a"}\n');
  await s3.put("parts/2.ndjson", '{"name":"b","id":2}\n');
  const reordered = await collect(s3.connector().read({ path: "parts/" }));
  assert.deepEqual(rowsOf(reordered), [[1, "a"], [2, "b"]]);
  assert.deepEqual(reordered[1].columns, reordered[0].columns);
  await s3.put("parts/3.ndjson", '{"id":3,"email":"c@x"}\n');
  await assert.rejects(collect(s3.connector().read({ path: "parts/" })), {
    name: "SchemaError",
    message: 'Cannot read "s3://test-bucket/parts/3.ndjson": its columns ' +
      '(id, email) differ from those of "s3://test-bucket/parts/1.ndjson" (id, name)',
  });
});

Deno.test("S3Connector.read() streams a large object in several batches", async () => {
  await using s3 = await startS3();
  let text = "id,label\n";
  for (let i = 1; i <= 30_000; i++) text += `${i},row ${i}\n`;
  await s3.put("big.csv", text);
  let batches = 0;
  let rows = 0;
  let last: unknown;
  const read = s3.connector().read({ path: "big.csv", batchSize: 4096 });
  for await (const batch of read) {
    batches++;
    rows += batch.rows.length;
    last = batch.rows.at(-1)?.[0];
    assert.ok(batch.rows.length <= 4096);
  }
  assert.equal(rows, 30_000);
  assert.equal(batches, 8);
  assert.equal(last, "30000");
});

Deno.test("S3Connector.read() names the object in missing-key and parse errors", async () => {
  await using s3 = await startS3();
  await s3.put("bad.csv", "a,b\n1,2\n3\n");
  const connector = s3.connector();
  await assert.rejects(collect(connector.read({ path: "nope.csv" })), (e) => {
    assert.ok(e instanceof SchemaError);
    assert.equal(
      e.message,
      'Cannot read "s3://test-bucket/nope.csv": no such object',
    );
    return true;
  });
  await assert.rejects(collect(connector.read({ path: "bad.csv" })), (e) => {
    assert.ok(e instanceof DataError);
    assert.match(e.message, /^Cannot read "s3:\/\/test-bucket\/bad\.csv": /);
    assert.equal(e.line, 3);
    return true;
  });
  await s3.put("notes.txt", "hello");
  await assert.rejects(collect(connector.read({ path: "notes.txt" })), {
    name: "SchemaError",
    message: /unknown format, set format to csv, ndjson or json/,
  });
});

Deno.test("S3Connector.read() with the _last_modified cursor skips older objects", async () => {
  await using s3 = await startS3();
  await s3.put("in/1.csv", "id\n1\n");
  const first = await collect(
    s3.connector().read({
      path: "in/",
      cursor: { field: "_last_modified", after: null },
    }),
  );
  assert.deepEqual(first[0].columns.at(-1), {
    name: "_last_modified",
    type: "timestamptz",
  });
  const seen = first[0].rows[0][1] as string;
  // S3 keeps modification times to the second.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  await s3.put("in/2.csv", "id\n2\n");
  const next = await collect(
    s3.connector().read({
      path: "in/",
      cursor: { field: "_last_modified", after: seen },
    }),
  );
  assert.deepEqual(rowsOf(next).map((row) => row[0]), ["2"]);
  assert.ok((rowsOf(next)[0][1] as string) > seen);
});

Deno.test("S3Connector.read() filters records client-side on a record cursor", async () => {
  await using s3 = await startS3();
  await s3.put("a.ndjson", '{"id":8}\n{"id":9}\n{"id":10}\n{"id":null}\n');
  const connector = s3.connector();
  const read = (after: number | null) =>
    collect(
      connector.read({ path: "a.ndjson", cursor: { field: "id", after } }),
    );
  assert.deepEqual(rowsOf(await read(8)), [[9], [10]]);
  assert.deepEqual(rowsOf(await read(null)).length, 4);
  await assert.rejects(
    collect(connector.read({ path: "a.ndjson", cursor: { field: "ts" } })),
    { name: "SchemaError", message: /incrementally: no column "ts"/ },
  );
  await assert.rejects(
    collect(connector.read({
      path: "a.ndjson",
      cursor: { field: "_last_modified", after: "yesterday" },
    })),
    TypeError,
  );
});
