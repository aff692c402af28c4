import assert from "node:assert/strict";
import { ConnectionError, ConnectorError, SchemaError } from "../errors.ts";
import { PostgresConnector } from "./postgres_connector.ts";
import {
  collect,
  flavours,
  serverConfig,
  type TestTarget,
} from "./test_targets.ts";

async function seed(t: TestTarget, rows = 5): Promise<void> {
  await t.db.query(
    `create table "${t.schema}".sales (id integer primary key, amount numeric(10,2), sold_at timestamp, tags text[])`,
  );
  await t.db.query(
    `insert into "${t.schema}".sales
     select i, i * 1.5, timestamp '2024-01-01 10:00' + i * interval '1 day', array['t' || i]
       from generate_series(1, ${rows}) i`,
  );
}

for (const flavour of flavours) {
  const test = (name: string, fn: (t: TestTarget) => Promise<void>) =>
    Deno.test(`PostgresConnector (${flavour.name}) ${name}`, async () => {
      await using t = await flavour.open();
      await fn(t);
    });

  test("check() reports the server version", async (t) => {
    const result = await t.connector.check();
    assert.equal(result.ok, true);
    assert.match(result.version ?? "", /^PostgreSQL \d+\.\d+/);
  });

  test("discover() lists the schema's tables with platform column types", async (t) => {
    await seed(t, 0);
    await t.db.query(
      `create table "${t.schema}".empty (doc jsonb, ok boolean, d date)`,
    );
    assert.deepEqual(await t.connector.discover(), [
      {
        schema: t.schema,
        name: "empty",
        columns: [
          { name: "doc", type: "json" },
          { name: "ok", type: "boolean" },
          { name: "d", type: "date" },
        ],
      },
      {
        schema: t.schema,
        name: "sales",
        columns: [
          { name: "id", type: "bigint" },
          { name: "amount", type: "numeric" },
          { name: "sold_at", type: "timestamptz" },
          { name: "tags", type: "json" },
        ],
      },
    ]);
  });

  test("read() binds params to a query's placeholders, before the cursor's value", async (t) => {
    await seed(t, 5);
    const query =
      `select id, amount from "${t.schema}".sales where id >= $1 and amount < $2`;
    const read = (params: unknown[], after?: number) =>
      collect(t.connector.read({
        query,
        params,
        batchSize: 10_000,
        cursor: after === undefined ? undefined : { field: "id", after },
      }));
    const all = (await read([2, 7])).flatMap((b) => b.rows);
    assert.deepEqual(all.map((r) => r[0]), [2, 3, 4]);
    const later = (await read([2, 7], 3)).flatMap((b) => b.rows);
    assert.deepEqual(later.map((r) => r[0]), [4]);
    // A value is a value: never run as SQL.
    const none = await read(["1; drop table sales", 7]).catch((e) => e);
    assert.ok(none instanceof ConnectorError, String(none));
    const empty = await collect(t.connector.read({
      query: `select id from "${t.schema}".sales where id = $1`,
      params: ["0"],
    }));
    assert.deepEqual(empty, [{
      columns: [{ name: "id", type: "bigint" }],
      rows: [],
    }]);
    const [{ count }] = await t.db.query<{ count: number }>(
      `select count(*)::int as count from "${t.schema}".sales`,
    );
    assert.equal(count, 5);
  });

  test("read() streams a table in batches of batchSize with typed values", async (t) => {
    await seed(t, 5);
    const batches = await collect(
      t.connector.read({ table: "sales", batchSize: 2 }),
    );
    assert.deepEqual(batches.map((b) => b.rows.length), [2, 2, 1]);
    assert.deepEqual(batches[0].columns, [
      { name: "id", type: "bigint" },
      { name: "amount", type: "numeric" },
      { name: "sold_at", type: "timestamptz" },
      { name: "tags", type: "json" },
    ]);
    const rows = batches.flatMap((b) => b.rows);
    assert.deepEqual(rows.map((r) => r[0]), [1, 2, 3, 4, 5]);
    // A timestamp without zone is read as UTC, whatever the process's zone.
    assert.deepEqual(rows[0], [1, "1.50", new Date("2024-01-02T10:00:00Z"), [
      "t1",
    ]]);
  });

  test("read() hands out one batch at a time, not the whole result", async (t) => {
    await seed(t, 50);
    let seen = 0;
    for await (
      const batch of t.connector.read({ table: "sales", batchSize: 10 })
    ) {
      seen += batch.rows.length;
      if (seen === 20) break;
    }
    assert.equal(seen, 20);
    // Stopping early closed the cursor and its transaction: the database is free.
    const [row] = await t.db.query<{ n: number }>(
      `select count(*)::int as n from "${t.schema}".sales`,
    );
    assert.equal(row.n, 50);
  });

  test("read() runs a query against the configured schema", async (t) => {
    await seed(t, 5);
    const batches = await collect(t.connector.read({
      query:
        "select id, amount * 2 as double_amount from sales where id > 3 order by id;",
    }));
    // Plain objects: a bulk read may hand out lazily decoded COPY batches.
    const plain = batches.map(({ columns, rows }) => ({ columns, rows }));
    assert.deepEqual(plain, [{
      columns: [{ name: "id", type: "bigint" }, {
        name: "double_amount",
        type: "numeric",
      }],
      rows: [[4, "12.00"], [5, "15.00"]],
    }]);
  });

  test("read() of an empty result yields one empty batch that names the columns", async (t) => {
    await seed(t, 0);
    assert.deepEqual(
      await collect(t.connector.read({ query: "select id from sales" })),
      [
        { columns: [{ name: "id", type: "bigint" }], rows: [] },
      ],
    );
  });

  test("read() of a missing table is a SchemaError", async (t) => {
    await assert.rejects(
      collect(t.connector.read({ table: "nope" })),
      (error) => {
        assert.ok(error instanceof SchemaError);
        assert.match(
          error.message,
          /^Cannot read "nope" from .*: relation ".*nope" does not exist$/,
        );
        return true;
      },
    );
    // Still usable afterwards.
    assert.equal((await t.connector.check()).ok, true);
  });

  test("read() needs a table or a query", async (t) => {
    await assert.rejects(collect(t.connector.read({})), {
      name: "SchemaError",
      message: "Cannot read: give a table or a query",
    });
  });
}

Deno.test("PostgresConnector.fromDb() close() leaves the platform's database open", async () => {
  await using t = await flavours[1].open();
  await t.connector.close();
  const [row] = await t.db.query<{ one: number }>("select 1 as one");
  assert.equal(row.one, 1);
});

Deno.test("PostgresConnector.check() reports a refused port as a ConnectionError within the timeout", async () => {
  const connector = PostgresConnector.fromConfig(
    serverConfig("postgres", { port: 1, password: "s3cret-pw" }),
    { connectTimeoutSeconds: 2 },
  );
  const started = Date.now();
  try {
    await assert.rejects(connector.check(), (error) => {
      assert.ok(error instanceof ConnectionError, String(error));
      assert.match(
        error.message,
        /^Cannot connect to PostgreSQL at 127\.0\.0\.1:1 as "postgres": /,
      );
      assert.ok(!error.message.includes("s3cret-pw"));
      return true;
    });
    assert.ok(Date.now() - started < 5000);
  } finally {
    await connector.close();
  }
});

Deno.test("PostgresConnector.check() reports an unknown host as a ConnectionError", async () => {
  const connector = PostgresConnector.fromConfig(
    serverConfig("postgres", { host: "no-such-host.invalid" }),
    { connectTimeoutSeconds: 2 },
  );
  try {
    await assert.rejects(connector.check(), ConnectionError);
  } finally {
    await connector.close();
  }
});

Deno.test("PostgresConnector.check() reports a missing database as a SchemaError without the password", async () => {
  const connector = PostgresConnector.fromConfig(
    serverConfig("etl_no_such_db", { password: "s3cret-pw" }),
  );
  try {
    await assert.rejects(connector.check(), (error) => {
      assert.ok(error instanceof SchemaError, String(error));
      assert.ok(error instanceof ConnectorError);
      assert.match(error.message, /database "etl_no_such_db" does not exist/);
      assert.ok(!error.message.includes("s3cret-pw"));
      return true;
    });
  } finally {
    await connector.close();
  }
});

Deno.test("PostgresConnector.check() gives up on a server that never answers after connectTimeoutSeconds", async () => {
  // Accepts TCP connections and then says nothing, like a firewalled proxy.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  const connector = PostgresConnector.fromConfig(
    serverConfig("postgres", { port: listener.addr.port }),
    { connectTimeoutSeconds: 1 },
  );
  const started = Date.now();
  try {
    await assert.rejects(connector.check(), ConnectionError);
    assert.ok(Date.now() - started < 4000, `took ${Date.now() - started} ms`);
  } finally {
    await connector.close();
    listener.close();
    for (const conn of held) conn.close();
    await accepting.catch(() => {});
  }
});
