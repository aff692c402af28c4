import assert from "node:assert/strict";
import mysql from "mysql2/promise";
import { AuthError, ConnectionError, SchemaError } from "../errors.ts";
import { MysqlConnector } from "./mysql_connector.ts";
import {
  collect,
  directOptions,
  type MysqlScratch,
  mysqlTestConfig,
  randomSuffix,
  scratchMysql,
} from "./test_server.ts";

const test = (name: string, fn: (t: MysqlScratch) => Promise<void>) =>
  Deno.test(`MysqlConnector ${name}`, async () => {
    await using t = await scratchMysql();
    await fn(t);
  });

// n rows: id 1…n, amount id * 1.5, a datetime id minutes after 2024-01-01.
async function seed(t: MysqlScratch, n: number): Promise<void> {
  await t.db.query(
    `create table sales (id bigint primary key, amount decimal(12,2), sold_at datetime, note varchar(20))`,
  );
  for (let start = 1; start <= n; start += 5_000) {
    const rows = [];
    for (let i = start; i <= Math.min(n, start + 4_999); i++) {
      rows.push([
        i,
        (i * 1.5).toFixed(2),
        new Date(Date.UTC(2024, 0, 1, 0, i)),
        `n${i}`,
      ]);
    }
    await t.db.query("insert into sales values ?", [rows]);
  }
}

test("check() reports the server version", async (t) => {
  const result = await t.connector.check();
  assert.equal(result.ok, true);
  assert.match(result.version ?? "", /^(MariaDB|MySQL) \d+\.\d+\.\d+$/);
});

test("check() with a wrong password is an AuthError without the password", async (t) => {
  const user = `etl_test_user_${randomSuffix()}`;
  await t.db.query(`create user ?@'%' identified by 'right-Secret-1'`, [user]);
  await t.db.query(`create user ?@'localhost' identified by 'right-Secret-1'`, [
    user,
  ]);
  try {
    const good = new MysqlConnector(
      mysqlTestConfig(t.database, { user, password: "right-Secret-1" }),
    );
    await t.db.query(`grant all on ${t.database}.* to ?@'%'`, [user]);
    await t.db.query(`grant all on ${t.database}.* to ?@'localhost'`, [user]);
    assert.equal((await good.check()).ok, true);
    const bad = new MysqlConnector(
      mysqlTestConfig(t.database, { user, password: "wrong-Secret-2" }),
    );
    await assert.rejects(bad.check(), (error) => {
      assert.ok(error instanceof AuthError);
      assert.equal(
        error.message,
        `Cannot connect to MySQL at 127.0.0.1:3306 as "${user}": access denied (wrong password or unknown user)`,
      );
      assert.doesNotMatch(error.message, /Secret/);
      return true;
    });
  } finally {
    await t.db.query(`drop user if exists ?@'%', ?@'localhost'`, [user, user]);
  }
});

test("read() binds params to a query's ? placeholders, before the cursor's value", async (t) => {
  await seed(t, 5);
  const read = (params: unknown[], after?: number) =>
    collect(t.connector.read({
      query: "select id, note from sales where id >= ? and note <> ?",
      params,
      cursor: after === undefined ? undefined : { field: "id", after },
    }));
  const ids = (batches: { rows: unknown[][] }[]) =>
    batches.flatMap((b) => b.rows.map((r) => r[0]));
  assert.deepEqual(ids(await read([2, "n3"])), [2, 4, 5]);
  assert.deepEqual(ids(await read([2, "n3"], 4)), [5]);
  // Values that look like SQL stay values.
  for (const evil of ["'; drop table sales; --", "\\'; drop table sales; --"]) {
    assert.deepEqual(ids(await read([1, evil])), [1, 2, 3, 4, 5]);
    assert.deepEqual(
      ids(
        await collect(t.connector.read({
          query: "select id from sales where note = ?",
          params: [evil],
        })),
      ),
      [],
    );
  }
  const [{ count }] = await t.rows<{ count: number }>(
    "select count(*) as count from sales",
  );
  assert.equal(Number(count), 5);
});

Deno.test("MysqlConnector check() of a port nobody listens on is a ConnectionError", async () => {
  const connector = new MysqlConnector(mysqlTestConfig("test", { port: 1 }));
  await assert.rejects(connector.check(), (error) => {
    assert.ok(error instanceof ConnectionError);
    assert.equal(
      error.message,
      `Cannot connect to MySQL at 127.0.0.1:1 as "root": connection refused`,
    );
    return true;
  });
});

Deno.test("MysqlConnector check() of a server that never answers times out after connectTimeoutSeconds", async () => {
  // Accepts TCP connections but never sends the MySQL handshake.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })().catch(() => {});
  try {
    const connector = new MysqlConnector(
      mysqlTestConfig("test", { port: listener.addr.port }),
      { connectTimeoutSeconds: 1 },
    );
    await assert.rejects(connector.check(), (error) => {
      assert.ok(error instanceof ConnectionError);
      assert.match(
        error.message,
        /^Cannot connect to MySQL at .*: timeout after 1 s$/,
      );
      return true;
    });
  } finally {
    listener.close();
    for (const conn of held) conn.close();
    await accepting;
  }
});

test("discover() lists tables with platform column types", async (t) => {
  await t.db.query(
    `create table kinds (i int, b bigint, u bigint unsigned, f tinyint(1), d double,
       n decimal(38,9), day date, at datetime(3), ts timestamp null, doc json,
       name varchar(10), body text)`,
  );
  await t.db.query("create table empty_too (id int)");
  const tables = await t.connector.discover();
  assert.deepEqual(tables.map((table) => table.name), ["empty_too", "kinds"]);
  assert.equal(tables[1].schema, t.database);
  assert.deepEqual(tables[1].columns, [
    { name: "i", type: "bigint" },
    { name: "b", type: "bigint" },
    { name: "u", type: "numeric" },
    { name: "f", type: "boolean" },
    { name: "d", type: "double" },
    { name: "n", type: "numeric" },
    { name: "day", type: "date" },
    { name: "at", type: "timestamptz" },
    { name: "ts", type: "timestamptz" },
    { name: "doc", type: "json" },
    { name: "name", type: "text" },
    { name: "body", type: "text" },
  ]);
});

test("read() streams 25,000 rows in batches of batchSize", async (t) => {
  await seed(t, 25_000);
  const sizes: number[] = [];
  let last: unknown[] = [];
  for await (const batch of t.connector.read({ table: "sales" })) {
    sizes.push(batch.rows.length);
    last = batch.rows.at(-1) ?? last;
  }
  assert.deepEqual(sizes, [10_000, 10_000, 5_000]);
  assert.deepEqual(last, [
    25_000,
    "37500.00",
    new Date("2024-01-18T08:40:00Z"),
    "n25000",
  ]);
});

test("read() stops the query when the consumer stops early", async (t) => {
  await seed(t, 5_000);
  let seen = 0;
  for await (
    const batch of t.connector.read({ table: "sales", batchSize: 1_000 })
  ) {
    seen += batch.rows.length;
    if (seen === 2_000) break;
  }
  assert.equal(seen, 2_000);
  // The server is still usable and the table intact.
  const [row] = await t.rows<{ n: number }>("select count(*) as n from sales");
  assert.equal(row.n, 5_000);
});

test("read() runs a query and names its columns and types", async (t) => {
  await seed(t, 3);
  const batches = await collect(t.connector.read({
    query:
      "select id, amount * 2 as twice, id > 1 as big from sales order by id;",
  }));
  assert.deepEqual(batches, [{
    columns: [
      { name: "id", type: "bigint" },
      { name: "twice", type: "numeric" },
      { name: "big", type: "bigint" },
    ],
    rows: [[1, "3.00", 0], [2, "6.00", 1], [3, "9.00", 1]],
  }]);
});

test("read() of an empty result yields one empty batch that names the columns", async (t) => {
  await seed(t, 0);
  assert.deepEqual(
    await collect(t.connector.read({ query: "select id from sales" })),
    [{ columns: [{ name: "id", type: "bigint" }], rows: [] }],
  );
});

test("read() with a cursor returns only rows after the last run's largest value", async (t) => {
  await seed(t, 5);
  const first = await collect(
    t.connector.read({ table: "sales", cursor: { field: "id", after: null } }),
  );
  const firstIds = first.flatMap((b) => b.rows.map((r) => r[0]));
  assert.deepEqual(firstIds, [1, 2, 3, 4, 5]);
  await t.db.query(
    "insert into sales values (6, 1, now(), 'six'), (7, 1, now(), 'seven')",
  );
  const after = Math.max(...(firstIds as number[]));
  const second = await collect(
    t.connector.read({ table: "sales", cursor: { field: "id", after } }),
  );
  assert.deepEqual(second.flatMap((b) => b.rows.map((r) => r[3])), [
    "six",
    "seven",
  ]);
});

test("read() with a cursor on a datetime takes the ISO instant the engine remembers", async (t) => {
  await seed(t, 5);
  const batches = await collect(t.connector.read({
    query: "select id, sold_at from sales",
    cursor: { field: "sold_at", after: "2024-01-01T00:03:00.000Z" },
  }));
  assert.deepEqual(batches[0].rows.map((r) => r[0]), [4, 5]);
});

test("read() binds the cursor value instead of pasting it into the SQL", async (t) => {
  await seed(t, 3);
  const batches = await collect(t.connector.read({
    table: "sales",
    cursor: { field: "note", after: "' or 1=1 -- " },
  }));
  // Every note ("n1"…) sorts after the quote character: all rows, no error.
  assert.equal(batches[0].rows.length, 3);
  const [row] = await t.rows<{ n: number }>("select count(*) as n from sales");
  assert.equal(row.n, 3);
});

test("read() of a missing table is a SchemaError", async (t) => {
  await assert.rejects(
    collect(t.connector.read({ table: "nope" })),
    (error) => {
      assert.ok(error instanceof SchemaError);
      assert.match(
        error.message,
        /^Cannot read "nope" from MySQL at 127\.0\.0\.1:3306 as "root": Table '.*\.nope' doesn't exist$/,
      );
      return true;
    },
  );
});

test("read() needs a table or a query", async (t) => {
  await assert.rejects(collect(t.connector.read({})), {
    name: "SchemaError",
    message: "Cannot read: give a table or a query",
  });
});

Deno.test("MysqlConnector test helper drops its scratch database", async () => {
  let name = "";
  {
    await using t = await scratchMysql();
    name = t.database;
  }
  const admin = await mysql.createConnection(
    directOptions(mysqlTestConfig("test")),
  );
  const [rows] = await admin.query("show databases like ?", [name]);
  await admin.end();
  assert.deepEqual(rows, []);
});
