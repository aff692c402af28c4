import assert from "node:assert/strict";
import { AuthError, ConnectorError, SchemaError } from "../errors.ts";
import { csvConfigSchema } from "./config.ts";
import { CsvConnector } from "./csv_connector.ts";

const SALES = "id,name,amount,created_at,flag\n" +
  "1,Ann,12.50,2024-01-01T10:00:00Z,t\n" +
  "2,Bob,,2024-01-02T11:00:00Z,f\n" +
  "3,Cy,7,2024-01-03T12:00:00Z,t\n";

/** A temp dir holding `root/` (allowed) with sales.csv and `outside/`. */
async function withFiles(
  test: (dirs: { root: string; outside: string }) => Promise<void>,
): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir());
  const root = `${dir}/root`;
  const outside = `${dir}/outside`;
  await Deno.mkdir(root);
  await Deno.mkdir(outside);
  await Deno.writeTextFile(`${root}/sales.csv`, SALES);
  await Deno.writeTextFile(`${outside}/secret.csv`, "a\n1\n");
  try {
    await test({ root, outside });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function connector(
  root: string,
  config: Record<string, unknown>,
): CsvConnector {
  return new CsvConnector(csvConfigSchema.parse(config), {
    allowedRoots: [root],
  });
}

Deno.test("CsvConnector.check() accepts a readable file inside an allowed root", async () => {
  await withFiles(async ({ root }) => {
    const csv = connector(root, { path: `${root}/sales.csv` });
    assert.deepEqual(await csv.check(), { ok: true });
    const relative = connector(root, { path: "sales.csv" });
    assert.deepEqual(await relative.check(), { ok: true });
  });
});

Deno.test("CsvConnector.check() reports a missing file", async () => {
  await withFiles(async ({ root }) => {
    const csv = connector(root, { path: `${root}/nope.csv` });
    await assert.rejects(csv.check(), (error) => {
      assert.ok(error instanceof SchemaError);
      assert.equal(
        error.message,
        `Cannot read CSV "${root}/nope.csv": file not found`,
      );
      return true;
    });
  });
});

Deno.test("CsvConnector.check() refuses a directory", async () => {
  await withFiles(async ({ root }) => {
    await Deno.mkdir(`${root}/dir.csv`);
    const csv = connector(root, { path: `${root}/dir.csv` });
    await assert.rejects(csv.check(), {
      name: "SchemaError",
      message: `Cannot read CSV "${root}/dir.csv": not a regular file`,
    });
  });
});

Deno.test("CsvConnector.check() refuses a .. escape from the allowed root", async () => {
  await withFiles(async ({ root }) => {
    for (
      const path of [`${root}/../outside/secret.csv`, "../outside/secret.csv"]
    ) {
      const csv = connector(root, { path });
      await assert.rejects(csv.check(), (error) => {
        assert.ok(error instanceof AuthError);
        assert.equal(
          error.message,
          `Cannot read CSV "${path}": path is outside the allowed directories`,
        );
        return true;
      });
    }
  });
});

Deno.test("CsvConnector.check() says nothing about missing files outside the roots", async () => {
  await withFiles(async ({ root }) => {
    const csv = connector(root, { path: "/no/such/file.csv" });
    await assert.rejects(csv.check(), {
      name: "AuthError",
      message:
        'Cannot read CSV "/no/such/file.csv": path is outside the allowed directories',
    });
  });
});

Deno.test("CsvConnector refuses a symlink that leads outside the allowed root", async () => {
  await withFiles(async ({ root, outside }) => {
    await Deno.symlink(`${outside}/secret.csv`, `${root}/link.csv`);
    await Deno.symlink(outside, `${root}/linkdir`);
    for (const path of [`${root}/link.csv`, `${root}/linkdir/secret.csv`]) {
      const csv = connector(root, { path });
      await assert.rejects(csv.check(), AuthError);
      await assert.rejects(Array.fromAsync(csv.read()), AuthError);
    }
  });
});

Deno.test("CsvConnector follows a symlink that stays inside the allowed root", async () => {
  await withFiles(async ({ root }) => {
    await Deno.symlink(`${root}/sales.csv`, `${root}/latest.csv`);
    const csv = connector(root, { path: `${root}/latest.csv` });
    assert.deepEqual(await csv.check(), { ok: true });
  });
});

Deno.test("CsvConnector.discover() names the table after the file with inferred columns", async () => {
  await withFiles(async ({ root }) => {
    const csv = connector(root, { path: `${root}/sales.csv` });
    assert.deepEqual(await csv.discover(), [{
      name: "sales",
      columns: [
        { name: "id", type: "bigint" },
        { name: "name", type: "text" },
        { name: "amount", type: "numeric" },
        { name: "created_at", type: "timestamptz" },
        { name: "flag", type: "boolean" },
      ],
    }]);
  });
});

Deno.test("CsvConnector.read() keeps the types of the first batch for later batches", async () => {
  await withFiles(async ({ root }) => {
    await Deno.writeTextFile(`${root}/mixed.csv`, "n\n1\n2\nthree\n");
    const csv = connector(root, { path: `${root}/mixed.csv` });
    const batches = await Array.fromAsync(csv.read({ batchSize: 2 }));
    assert.deepEqual(batches, [
      { columns: [{ name: "n", type: "bigint" }], rows: [["1"], ["2"]] },
      { columns: [{ name: "n", type: "bigint" }], rows: [["three"]] },
    ]);
  });
});

Deno.test("CsvConnector.read() leaves every column text when inferTypes is off", async () => {
  await withFiles(async ({ root }) => {
    const csv = connector(root, { path: "sales.csv", inferTypes: false });
    const [batch] = await Array.fromAsync(csv.read());
    assert.ok(batch.columns.every((column) => column.type === "text"));
    assert.deepEqual(batch.rows[1], [
      "2",
      "Bob",
      null,
      "2024-01-02T11:00:00Z",
      "f",
    ]);
  });
});

Deno.test("CsvConnector.read() reads request.path instead of the configured path", async () => {
  await withFiles(async ({ root, outside }) => {
    await Deno.writeTextFile(`${root}/other.csv`, "x;y\n1;2\n");
    const csv = connector(root, { path: "sales.csv", delimiter: ";" });
    const batches = await Array.fromAsync(
      csv.read({ path: `${root}/other.csv` }),
    );
    assert.deepEqual(batches[0].rows, [["1", "2"]]);
    await assert.rejects(
      Array.fromAsync(csv.read({ path: `${outside}/secret.csv` })),
      AuthError,
    );
  });
});

Deno.test("CsvConnector.read() decompresses a .gz file", async () => {
  await withFiles(async ({ root }) => {
    await Deno.writeFile(
      `${root}/sales.csv.gz`,
      ReadableStream.from([new TextEncoder().encode(SALES)])
        .pipeThrough(new CompressionStream("gzip")),
    );
    const csv = connector(root, { path: "sales.csv.gz" });
    const [table] = await csv.discover();
    assert.equal(table.name, "sales");
    const [batch] = await Array.fromAsync(csv.read());
    assert.equal(batch.rows.length, 3);
  });
});

Deno.test("CsvConnector.read() passes on parse errors with their line", async () => {
  await withFiles(async ({ root }) => {
    await Deno.writeTextFile(`${root}/bad.csv`, "a,b\n1,2\n3\n");
    const csv = connector(root, { path: "bad.csv" });
    await assert.rejects(Array.fromAsync(csv.read()), {
      name: "DataError",
      line: 3,
      message: "Cannot parse CSV: line 3 has 1 fields, expected 2 (ragged row)",
    });
  });
});

Deno.test("CsvConnector.write() says the CSV connector cannot write yet", async () => {
  await withFiles(async ({ root }) => {
    const csv = connector(root, { path: "sales.csv" });
    await assert.rejects(
      csv.write(
        (async function* () {})(),
        { table: "sales", mode: "append" },
      ),
      (error) => {
        assert.ok(error instanceof ConnectorError);
        assert.equal(error.message, "CSV connector cannot write yet");
        return true;
      },
    );
    await csv.close();
  });
});
