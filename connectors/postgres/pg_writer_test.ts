import assert from "node:assert/strict";
import { DataError, SchemaError } from "../errors.ts";
import type { Column, RecordBatch } from "../types.ts";
import { collect, flavours, source, type TestTarget } from "./test_targets.ts";

const COLUMNS: Column[] = [
  { name: "id", type: "bigint" },
  { name: "name", type: "text" },
];

function batch(rows: unknown[][], columns = COLUMNS): RecordBatch {
  return { columns, rows };
}

async function rowsOf(t: TestTarget, table: string): Promise<unknown[]> {
  const rows = await t.db.query<{ id: number; name: string }>(
    `select id::int as id, name from "${t.schema}"."${table}" order by id, name`,
  );
  return rows.map((row) => [row.id, row.name]);
}

async function tableExists(t: TestTarget, table: string): Promise<boolean> {
  const [row] = await t.db.query<{ found: string | null }>(
    "select to_regclass($1)::text as found",
    [`"${t.schema}"."${table}"`],
  );
  return row.found !== null;
}

for (const flavour of flavours) {
  const test = (
    name: string,
    fn: (t: TestTarget) => Promise<void>,
    ignore = false,
  ) =>
    Deno.test({
      name: `PostgresConnector (${flavour.name}) ${name}`,
      ignore,
      async fn() {
        await using t = await flavour.open();
        await fn(t);
      },
    });

  test("write(append) creates the table and appends on the next load", async (t) => {
    const first = await t.connector.write(
      source([batch([[1, "a"], [2, "b"]]), batch([[3, "c"]])]),
      { table: "items", mode: "append" },
    );
    assert.deepEqual(first, { rowsWritten: 3 });
    await t.connector.write(source([batch([[4, "d"]])]), {
      table: "items",
      mode: "append",
    });
    assert.deepEqual(await rowsOf(t, "items"), [[1, "a"], [2, "b"], [3, "c"], [
      4,
      "d",
    ]]);
  });

  test("write(replace) swaps the rows in one go", async (t) => {
    await t.connector.write(source([batch([[1, "a"], [2, "b"]])]), {
      table: "items",
      mode: "append",
    });
    const result = await t.connector.write(source([batch([[9, "z"]])]), {
      table: "items",
      mode: "replace",
    });
    assert.equal(result.rowsWritten, 1);
    assert.deepEqual(await rowsOf(t, "items"), [[9, "z"]]);
  });

  test("write(merge) updates matching keys, inserts new ones, last duplicate wins", async (t) => {
    await t.connector.write(source([batch([[1, "a"], [2, "b"]])]), {
      table: "items",
      mode: "append",
    });
    await t.connector.write(
      source([batch([[2, "b2"], [3, "c"]]), batch([[3, "c2"]])]),
      { table: "items", mode: "merge", keys: ["id"] },
    );
    assert.deepEqual(await rowsOf(t, "items"), [[1, "a"], [2, "b2"], [
      3,
      "c2",
    ]]);
  });

  test("write(merge) needs keys that are columns of the data", async (t) => {
    await assert.rejects(
      t.connector.write(source([batch([[1, "a"]])]), {
        table: "items",
        mode: "merge",
      }),
      (error) =>
        error instanceof SchemaError &&
        /merge needs key columns/.test(error.message),
    );
    await assert.rejects(
      t.connector.write(source([batch([[1, "a"]])]), {
        table: "items",
        mode: "merge",
        keys: ["sku"],
      }),
      {
        name: "SchemaError",
        message:
          'Cannot load into "items": merge key "sku" is not a column of the data',
      },
    );
    assert.equal(await tableExists(t, "items"), false);
  });

  test("write() names a column the target lacks", async (t) => {
    await t.db.query(`create table "${t.schema}".items (id bigint, name text)`);
    await assert.rejects(
      t.connector.write(
        source([
          batch([[1, "a", 5]], [...COLUMNS, {
            name: "amount",
            type: "numeric",
          }]),
        ]),
        { table: "items", mode: "append" },
      ),
      {
        name: "SchemaError",
        message:
          'Cannot load into "items": column "amount" does not exist in the target',
      },
    );
  });

  test("write() copies only the batch's columns into an existing table, by name", async (t) => {
    await t.db.query(
      `create table "${t.schema}".items (name text, note text default 'n/a', id bigint)`,
    );
    await t.connector.write(source([batch([[1, "a"]])]), {
      table: "items",
      mode: "append",
    });
    const rows = [
      ...await t.db.query(
        `select id::int as id, name, note from "${t.schema}".items`,
      ),
    ];
    assert.deepEqual(rows, [{ id: 1, name: "a", note: "n/a" }]);
  });

  test("write() with create off refuses a missing table", async (t) => {
    await assert.rejects(
      t.connector.write(source([batch([[1, "a"]])]), {
        table: "items",
        mode: "append",
        create: false,
      }),
      SchemaError,
    );
    assert.equal(await tableExists(t, "items"), false);
  });

  for (const mode of ["append", "replace", "merge"] as const) {
    test(`write(${mode}) leaves the target unchanged when the source throws after 3 batches`, async (t) => {
      await t.connector.write(source([batch([[1, "a"], [2, "b"]])]), {
        table: "items",
        mode: "append",
      });
      const before = await rowsOf(t, "items");
      const failing = source(
        [batch([[2, "x"], [3, "c"]]), batch([[4, "d"]]), batch([[5, "e"]])],
        new DataError("Cannot parse CSV: bad quote", { line: 900_000 }),
      );
      await assert.rejects(
        t.connector.write(failing, { table: "items", mode, keys: ["id"] }),
        (error) => error instanceof DataError && error.line === 900_000,
      );
      assert.deepEqual(await rowsOf(t, "items"), before);
    });
  }

  test("write() does not create the table when the source throws", async (t) => {
    const failing = source(
      [batch([[1, "a"]]), batch([[2, "b"]]), batch([[3, "c"]])],
      new DataError("Cannot parse CSV: bad quote"),
    );
    await assert.rejects(
      t.connector.write(failing, { table: "fresh", mode: "append" }),
      DataError,
    );
    assert.equal(await tableExists(t, "fresh"), false);
  });

  test(
    "write() reports a value PostgreSQL rejects as a DataError with row and column, target unchanged",
    async (t) => {
      await t.connector.write(source([batch([[1, "a"]])]), {
        table: "items",
        mode: "append",
      });
      const text: Column[] = [{ name: "id", type: "text" }, {
        name: "name",
        type: "text",
      }];
      const bad = source([
        batch([["2", "b"], ["3", "c"]], text),
        batch([["4", "d"], ["abc", "e"]], text),
      ]);
      await assert.rejects(
        t.connector.write(bad, { table: "items", mode: "append" }),
        (error) => {
          assert.ok(error instanceof DataError, String(error));
          assert.equal(error.row, 4);
          assert.equal(error.column, "id");
          assert.match(
            error.message,
            /^Cannot load into "items": invalid input syntax for type bigint: "abc" \(row 4, column "id"\)$/,
          );
          return true;
        },
      );
      assert.deepEqual(await rowsOf(t, "items"), [[1, "a"]]);
    },
  );

  test(
    "write() numbers a rejected row from the start of a load larger than one COPY group",
    async (t) => {
      // About 12 MB: PGlite copies in 8 MB groups, so the bad row is in the second.
      await t.db.query(
        `create table "${t.schema}".items (id bigint, name text)`,
      );
      const text: Column[] = [{ name: "id", type: "text" }, {
        name: "name",
        type: "text",
      }];
      const filler = "x".repeat(100);
      async function* big() {
        for (let start = 0; start < 120_000; start += 10_000) {
          const rows = [];
          for (let i = start; i < start + 10_000; i++) {
            rows.push([i === 99_999 ? "abc" : String(i), filler]);
          }
          yield batch(rows, text);
        }
      }
      await assert.rejects(
        t.connector.write(big(), { table: "items", mode: "append" }),
        (error) => error instanceof DataError && error.row === 100_000,
      );
      assert.deepEqual(await rowsOf(t, "items"), []);
    },
  );

  test("write() then read() round-trips nulls, text escapes, numeric precision, times, booleans and json", async (t) => {
    const columns: Column[] = [
      { name: "id", type: "bigint" },
      { name: "label", type: "text" },
      { name: "amount", type: "numeric" },
      { name: "ratio", type: "double" },
      { name: "ok", type: "boolean" },
      { name: "day", type: "date" },
      { name: "at", type: "timestamptz" },
      { name: "doc", type: "json" },
    ];
    const label =
      "tab\there\nnew line\r\\back\\slash \\N ünïcødé 😀 'q' \"dq\"";
    const rows = [
      [
        1,
        label,
        "12345678901234567890.123456789",
        1.5,
        true,
        "2024-02-29",
        "2024-03-01 12:20:30.123+02",
        { a: [1, "x\ty"], b: null },
      ],
      [
        2,
        "",
        "-0.000000001",
        -2.25e-10,
        false,
        "1999-12-31",
        new Date("2024-07-01T00:00:00.456Z"),
        [1, 2],
      ],
      ["9007199254740993", null, null, null, null, null, null, null],
    ];
    await t.connector.write(source([{ columns, rows }]), {
      table: "types",
      mode: "append",
    });
    const [read] = await collect(
      t.connector.read({ query: "select * from types order by id" }),
    );
    assert.deepEqual(read.columns, columns);
    assert.deepEqual(read.rows, [
      [
        1,
        label,
        "12345678901234567890.123456789",
        1.5,
        true,
        "2024-02-29",
        new Date("2024-03-01T10:20:30.123Z"),
        { a: [1, "x\ty"], b: null },
      ],
      [
        2,
        "",
        "-0.000000001",
        -2.25e-10,
        false,
        "1999-12-31",
        new Date("2024-07-01T00:00:00.456Z"),
        [1, 2],
      ],
      ["9007199254740993", null, null, null, null, null, null, null],
    ]);
  });

  test("write() with a loadId already loaded writes nothing and reports the first load's rows", async (t) => {
    const request = {
      table: "items",
      mode: "append" as const,
      loadId: "load-1",
    };
    const first = await t.connector.write(
      source([batch([[1, "a"], [2, "b"]])]),
      request,
    );
    assert.deepEqual(first, { rowsWritten: 2 });
    // A re-delivered job: the same load again must not duplicate rows.
    const again = await t.connector.write(
      source([batch([[1, "a"], [2, "b"]])]),
      request,
    );
    assert.deepEqual(again, { rowsWritten: 2, alreadyLoaded: true });
    assert.deepEqual(await rowsOf(t, "items"), [[1, "a"], [2, "b"]]);
    // Another load id is another load; the marker stays out of discover().
    await t.connector.write(source([batch([[3, "c"]])]), {
      ...request,
      loadId: "load-2",
    });
    assert.deepEqual(await rowsOf(t, "items"), [[1, "a"], [2, "b"], [3, "c"]]);
    const tables = (await t.connector.discover()).map((d) => d.name);
    assert.deepEqual(tables, ["items"]);
  });

  test("write() with a loadId that failed leaves no marker, so the retry loads", async (t) => {
    const request = {
      table: "items",
      mode: "append" as const,
      loadId: "load-x",
    };
    async function* failing(): AsyncGenerator<RecordBatch> {
      yield batch([[1, "a"]]);
      throw new Error("source broke");
    }
    await assert.rejects(() => t.connector.write(failing(), request));
    const retried = await t.connector.write(
      source([batch([[1, "a"]])]),
      request,
    );
    assert.deepEqual(retried, { rowsWritten: 1 });
    assert.deepEqual(await rowsOf(t, "items"), [[1, "a"]]);
  });

  test("write() by two loads at once into a table that doesn't exist yet: one creates it, both load", async (t) => {
    const results = await Promise.all(
      ["a", "b"].map((name, i) =>
        t.connector.write(source([batch([[i + 1, name]])]), {
          table: "fresh",
          mode: "append",
          loadId: `fresh-${name}`,
        })
      ),
    );
    assert.deepEqual(results, [{ rowsWritten: 1 }, { rowsWritten: 1 }]);
    assert.deepEqual(await rowsOf(t, "fresh"), [[1, "a"], [2, "b"]]);
  });
}
