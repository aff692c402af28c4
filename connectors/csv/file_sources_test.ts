// The files source reading NDJSON and JSON from paths: format detection,
// records paths, gzip and cursors, with real files in a temp directory.

import assert from "node:assert/strict";
import { AuthError, DataError, SchemaError } from "../errors.ts";
import { csvConfigSchema } from "./config.ts";
import { CsvConnector } from "./csv_connector.ts";

const ORDERS = [
  { id: 1, customer: "Ann", total: 12.5, at: "2024-01-01T10:00:00Z" },
  { id: 2, customer: "Bob", total: 7, at: "2024-01-02T10:00:00Z" },
  { id: 3, customer: "Cy", total: null, at: "2024-01-03T10:00:00Z" },
];
const NDJSON = ORDERS.map((order) => JSON.stringify(order)).join("\n");

/** A temp dir holding `root/` (allowed) with orders in each format. */
async function withFiles(test: (root: string) => Promise<void>) {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  const root = `${dir}/root`;
  await Deno.mkdir(root);
  await Deno.writeTextFile(`${root}/orders.ndjson`, NDJSON);
  await Deno.writeTextFile(`${root}/orders.jsonl`, NDJSON);
  await Deno.writeTextFile(`${root}/orders.json`, JSON.stringify(ORDERS));
  await Deno.writeTextFile(
    `${root}/page.json`,
    JSON.stringify({ data: { items: ORDERS }, next: null }),
  );
  await Deno.writeFile(
    `${root}/orders.ndjson.gz`,
    ReadableStream.from([new TextEncoder().encode(NDJSON)])
      .pipeThrough(new CompressionStream("gzip")),
  );
  // No extension: the format must be configured.
  await Deno.writeTextFile(`${root}/export`, NDJSON);
  try {
    await test(root);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function files(root: string, config: Record<string, unknown>): CsvConnector {
  return new CsvConnector(csvConfigSchema.parse(config), {
    allowedRoots: [root],
  });
}

const COLUMNS = [
  { name: "id", type: "bigint" },
  { name: "customer", type: "text" },
  { name: "total", type: "double" },
  { name: "at", type: "text" },
];
const ROWS = ORDERS.map((order) => Object.values(order));

Deno.test("CsvConnector reads NDJSON, JSONL, JSON and gzipped NDJSON by extension", async () => {
  await withFiles(async (root) => {
    for (
      const path of [
        "orders.ndjson",
        "orders.jsonl",
        "orders.json",
        "orders.ndjson.gz",
      ]
    ) {
      const batches = await Array.fromAsync(files(root, { path }).read());
      assert.deepEqual(batches, [{ columns: COLUMNS, rows: ROWS }], path);
    }
  });
});

Deno.test("CsvConnector.discover() names a JSON table after the file with typed columns", async () => {
  await withFiles(async (root) => {
    const tables = await files(root, { path: "orders.ndjson.gz" }).discover();
    assert.deepEqual(tables, [{ name: "orders", columns: COLUMNS }]);
  });
});

Deno.test("CsvConnector reads the array at records_path", async () => {
  await withFiles(async (root) => {
    const connector = files(root, {
      path: "page.json",
      records_path: "data.items",
    });
    const [batch] = await Array.fromAsync(connector.read());
    assert.deepEqual(batch.rows, ROWS);
    await assert.rejects(
      Array.fromAsync(files(root, { path: "page.json" }).read()),
      (error) => {
        assert.ok(error instanceof SchemaError);
        assert.match(
          error.message,
          /expected an array of records, found an object/,
        );
        return true;
      },
    );
  });
});

Deno.test("CsvConnector uses the configured format over the extension", async () => {
  await withFiles(async (root) => {
    const connector = files(root, { path: "export", format: "ndjson" });
    const [batch] = await Array.fromAsync(connector.read({ batchSize: 2 }));
    assert.deepEqual(batch.rows, ROWS.slice(0, 2));
    // Without it, a file with no extension is CSV, as it always was.
    await assert.rejects(
      Array.fromAsync(files(root, { path: "export" }).read()),
      { name: "DataError", message: /^Cannot parse CSV: line 1: / },
    );
  });
});

Deno.test("CsvConnector passes on NDJSON errors with their line", async () => {
  await withFiles(async (root) => {
    await Deno.writeTextFile(`${root}/bad.ndjson`, '{"a":1}\n{"a":\n');
    await assert.rejects(
      Array.fromAsync(files(root, { path: "bad.ndjson" }).read()),
      (error) => {
        assert.ok(error instanceof DataError);
        assert.equal(error.line, 2);
        assert.match(error.message, /^Cannot parse NDJSON: line 2: /);
        return true;
      },
    );
  });
});

Deno.test("CsvConnector refuses a legacy encoding for JSON", async () => {
  await withFiles(async (root) => {
    const connector = files(root, { path: "orders.json", encoding: "latin1" });
    await assert.rejects(Array.fromAsync(connector.read()), {
      name: "SchemaError",
      message:
        'Cannot read JSON "orders.json": JSON files are UTF-8, but the encoding is set to "latin1"; remove the encoding setting',
    });
  });
});

Deno.test("CsvConnector keeps JSON paths inside the allowed roots", async () => {
  await withFiles(async (root) => {
    const connector = files(root, { path: "../elsewhere.json" });
    await assert.rejects(connector.check(), {
      name: "AuthError",
      message:
        'Cannot read JSON "../elsewhere.json": path is outside the allowed directories',
    });
    await assert.rejects(Array.fromAsync(connector.read()), AuthError);
  });
});

Deno.test("CsvConnector.read() returns only records past the cursor", async () => {
  await withFiles(async (root) => {
    const json = files(root, { path: "orders.json" });
    const after = await Array.fromAsync(
      json.read({ cursor: { field: "at", after: "2024-01-01T10:00:00Z" } }),
    );
    assert.deepEqual(after[0].rows.map((row) => row[0]), [2, 3]);
    const all = await Array.fromAsync(
      json.read({ cursor: { field: "id", after: null } }),
    );
    assert.equal(all[0].rows.length, 3);
    await Deno.writeTextFile(`${root}/n.csv`, "n\n9\n10\n11\n");
    const csv = files(root, { path: "n.csv" });
    const numeric = await Array.fromAsync(
      csv.read({ cursor: { field: "n", after: "9" } }),
    );
    assert.deepEqual(numeric[0].rows, [["10"], ["11"]]);
    await assert.rejects(
      Array.fromAsync(csv.read({ cursor: { field: "nope", after: 1 } })),
      {
        name: "SchemaError",
        message:
          'Cannot read CSV "n.csv": the cursor field "nope" is not a column (columns: n)',
      },
    );
  });
});
