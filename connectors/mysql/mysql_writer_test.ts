import assert from "node:assert/strict";
import { DataError, SchemaError } from "../errors.ts";
import type { Column, RecordBatch } from "../types.ts";
import {
  collect,
  type MysqlScratch,
  scratchMysql,
  source,
} from "./test_server.ts";

const test = (name: string, fn: (t: MysqlScratch) => Promise<void>) =>
  Deno.test(`MysqlConnector write() ${name}`, async () => {
    await using t = await scratchMysql();
    await fn(t);
  });

const PEOPLE: Column[] = [
  { name: "id", type: "bigint" },
  { name: "name", type: "text" },
];

function people(rows: unknown[][]): RecordBatch {
  return { columns: PEOPLE, rows };
}

async function tableRows(t: MysqlScratch, table: string) {
  const [rows] = await t.db.query({
    sql: `select * from ${table} order by 1`,
    rowsAsArray: true,
  });
  return rows;
}

test("append creates the table and inserts every batch", async (t) => {
  const result = await t.connector.write(
    source([people([[1, "ann"], [2, "bob"]]), people([[3, "cy"]])]),
    { table: "people", mode: "append" },
  );
  assert.equal(result.rowsWritten, 3);
  assert.deepEqual(await tableRows(t, "people"), [
    [1, "ann"],
    [2, "bob"],
    [3, "cy"],
  ]);
});

test("append spreads 2,500 rows over several INSERT statements", async (t) => {
  const rows = Array.from({ length: 2_500 }, (_, i) => [i + 1, `p${i + 1}`]);
  const result = await t.connector.write(source([people(rows)]), {
    table: "people",
    mode: "append",
  });
  assert.equal(result.rowsWritten, 2_500);
  const [row] = await t.rows<{ n: number; ids: string }>(
    "select count(*) as n, sum(id) as ids from people",
  );
  assert.deepEqual(row, { n: 2_500, ids: "3126250" });
});

test("replace empties the table and loads the new rows", async (t) => {
  await t.db.query("create table people (id bigint, name text)");
  await t.db.query("insert into people values (9, 'old')");
  await t.connector.write(source([people([[1, "new"]])]), {
    table: "people",
    mode: "replace",
  });
  assert.deepEqual(await tableRows(t, "people"), [[1, "new"]]);
});

test("merge updates rows with known keys and inserts the others; the last duplicate wins", async (t) => {
  await t.connector.write(source([people([[1, "ann"], [2, "bob"]])]), {
    table: "people",
    mode: "merge",
    keys: ["id"],
  });
  await t.connector.write(
    source([people([[2, "bobby"], [3, "cy"], [3, "cyd"]])]),
    { table: "people", mode: "merge", keys: ["id"] },
  );
  assert.deepEqual(await tableRows(t, "people"), [
    [1, "ann"],
    [2, "bobby"],
    [3, "cyd"],
  ]);
  // The table this load created got the keys as its primary key.
  const [keys] = await t.db.query(
    "select column_name as c from information_schema.key_column_usage where table_schema = database() and table_name = 'people' and constraint_name = 'PRIMARY'",
  );
  assert.deepEqual(keys, [{ c: "id" }]);
});

test("merge into an existing table without a unique key on the keys is a SchemaError naming them", async (t) => {
  await t.db.query("create table people (id bigint, name text)");
  await assert.rejects(
    t.connector.write(source([people([[1, "a"]])]), {
      table: "people",
      mode: "merge",
      keys: ["id"],
    }),
    (error) => {
      assert.ok(error instanceof SchemaError);
      assert.equal(
        error.message,
        'Cannot load into "people": merge on (id) needs a unique key on exactly those columns: add one with ALTER TABLE `people` ADD UNIQUE (`id`)',
      );
      return true;
    },
  );
});

test("with create off, a missing table is a SchemaError", async (t) => {
  await assert.rejects(
    t.connector.write(source([people([[1, "a"]])]), {
      table: "nope",
      mode: "append",
      create: false,
    }),
    {
      name: "SchemaError",
      message:
        'Cannot load into "nope": table "nope" does not exist and create is off',
    },
  );
});

test("keeps null, unicode, exact decimals, dates, datetimes, booleans and JSON", async (t) => {
  await t.db.query(
    `create table kinds (id bigint primary key, name text, amount decimal(38,9),
       day date, at datetime(3), ok tinyint(1), doc json)`,
  );
  const columns: Column[] = [
    { name: "id", type: "bigint" },
    { name: "name", type: "text" },
    { name: "amount", type: "numeric" },
    { name: "day", type: "date" },
    { name: "at", type: "timestamptz" },
    { name: "ok", type: "boolean" },
    { name: "doc", type: "json" },
  ];
  const rows = [
    [
      1,
      'Zoë 🚀 "quoted" \\ tab\tnew\nline',
      "12345678901234567890.123456789",
      "2024-02-29",
      new Date("2024-03-01T23:59:58.123Z"),
      true,
      { a: [1, "x"], b: null, emoji: "🎉" },
    ],
    [2, null, null, null, null, null, null],
    [
      3,
      "",
      "-0.000000001",
      "1970-01-01",
      new Date("1999-12-31T00:00:00Z"),
      false,
      [1, 2],
    ],
  ];
  await t.connector.write(source([{ columns, rows }]), {
    table: "kinds",
    mode: "append",
  });
  const [batch] = await collect(
    t.connector.read({ query: "select * from kinds order by id" }),
  );
  assert.deepEqual(batch.columns, columns);
  assert.deepEqual(batch.rows, rows);
});

test("a table it creates holds every platform type", async (t) => {
  const columns: Column[] = [
    { name: "id", type: "bigint" },
    { name: "amount", type: "numeric" },
    { name: "score", type: "double" },
    { name: "at", type: "timestamptz" },
    { name: "ok", type: "boolean" },
    { name: "doc", type: "json" },
  ];
  const at = new Date("2024-05-06T07:08:09.123Z");
  await t.connector.write(
    source([{ columns, rows: [[1, "1.50", 0.25, at, true, { k: 1 }]] }]),
    { table: "made", mode: "append" },
  );
  const [batch] = await collect(t.connector.read({ table: "made" }));
  assert.deepEqual(batch.columns, columns);
  const [row] = batch.rows;
  // decimal(65,30): the same number, with the scale's trailing zeros.
  assert.equal(Number(row[1]), 1.5);
  assert.deepEqual(row.slice(2), [0.25, at, true, { k: 1 }]);
});

test("a value the server rejects mid-load fails with its row and leaves the target unchanged", async (t) => {
  await t.db.query("create table people (id bigint, name varchar(5))");
  await t.db.query("insert into people values (0, 'keep')");
  const rows = Array.from({ length: 1_500 }, (_, i) => [i + 1, `p${i % 100}`]);
  rows[1_203][1] = "far too long";
  await assert.rejects(
    t.connector.write(
      source([people(rows.slice(0, 1_000)), people(rows.slice(1_000))]),
      {
        table: "people",
        mode: "replace",
      },
    ),
    (error) => {
      assert.ok(error instanceof DataError);
      assert.equal(error.row, 1_204);
      assert.equal(error.column, "name");
      assert.match(
        error.message,
        /^Cannot load into "people": Data too long for column 'name' at row 204 \(row 1204, column "name"\)$/,
      );
      return true;
    },
  );
  assert.deepEqual(await tableRows(t, "people"), [[0, "keep"]]);
});

test("a source that throws after two batches leaves no table behind", async (t) => {
  await assert.rejects(
    t.connector.write(
      source(
        [people([[1, "a"]]), people([[2, "b"]])],
        new Error("source broke"),
      ),
      { table: "people", mode: "append" },
    ),
    /source broke/,
  );
  const [found] = await t.db.query("show tables like 'people'");
  assert.deepEqual(found, []);
});

test("a source that throws leaves an existing table's rows as they were", async (t) => {
  await t.db.query("create table people (id bigint, name text)");
  await t.db.query("insert into people values (7, 'seven')");
  await assert.rejects(
    t.connector.write(
      source(
        [people([[1, "a"]]), people([[2, "b"]])],
        new Error("source broke"),
      ),
      { table: "people", mode: "replace" },
    ),
    /source broke/,
  );
  assert.deepEqual(await tableRows(t, "people"), [[7, "seven"]]);
});

test("a batch with different columns is a SchemaError", async (t) => {
  await assert.rejects(
    t.connector.write(
      source([people([[1, "a"]]), { columns: [PEOPLE[0]], rows: [[2]] }]),
      { table: "people", mode: "append" },
    ),
    {
      name: "SchemaError",
      message:
        'Cannot load into "people": a batch has columns id, expected id, name',
    },
  );
});

test("a loadId already loaded writes nothing and reports the first load's rows", async (t) => {
  const request = { table: "people", mode: "append" as const, loadId: "l-1" };
  const first = await t.connector.write(
    source([people([[1, "ann"], [2, "bob"]])]),
    request,
  );
  assert.deepEqual(first, { rowsWritten: 2 });
  const again = await t.connector.write(
    source([people([[1, "ann"], [2, "bob"]])]),
    request,
  );
  assert.deepEqual(again, { rowsWritten: 2, alreadyLoaded: true });
  assert.deepEqual(await tableRows(t, "people"), [[1, "ann"], [2, "bob"]]);
  const tables = (await t.connector.discover()).map((d) => d.name);
  assert.deepEqual(tables, ["people"]);
});

test("a loadId whose load failed leaves no marker, so the retry loads", async (t) => {
  const request = { table: "people", mode: "append" as const, loadId: "l-x" };
  async function* failing(): AsyncGenerator<RecordBatch> {
    yield people([[1, "ann"]]);
    throw new Error("source broke");
  }
  await assert.rejects(() => t.connector.write(failing(), request));
  const retried = await t.connector.write(
    source([people([[1, "ann"]])]),
    request,
  );
  assert.deepEqual(retried, { rowsWritten: 1 });
  assert.deepEqual(await tableRows(t, "people"), [[1, "ann"]]);
});
