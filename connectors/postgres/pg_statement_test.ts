// execute() of the PostgreSQL connector on a real server and on the local
// warehouse (PGlite, or the server with ETL_TEST_DB=postgres).

import assert from "node:assert/strict";
import type { RecordBatch, StatementRequest } from "../types.ts";
import { flavours, serverFlavour } from "./test_targets.ts";
import { type Shape, shapeOf } from "./pg_statement.ts";

// Runs `query`, collecting the batches it returns.
function request(
  query: string,
  params: unknown[] = [],
  extra: Partial<StatementRequest> = {},
) {
  const batches: RecordBatch[] = [];
  return {
    batches,
    request: {
      query,
      params,
      onRows: async (rows: AsyncIterable<RecordBatch>) => {
        for await (const batch of rows) batches.push(batch);
      },
      ...extra,
    } satisfies StatementRequest,
  };
}

for (const flavour of flavours) {
  Deno.test(`execute() on ${flavour.name}: INSERT … SELECT, SELECT in batches, RETURNING`, async () => {
    await using t = await flavour.open();
    await t.db.query(`create table ${t.schema}.src (id int, name text)`);
    await t.db.query(
      `insert into ${t.schema}.src select g, 'n' || g from generate_series(1, 25) g`,
    );
    await t.db.query(`create table ${t.schema}.dst (id int, name text)`);
    const insert = request("insert into dst select * from src where id > $1", [
      20,
    ]);
    assert.deepEqual(await t.connector.execute(insert.request), {
      returnedRows: false,
      rowCount: 5,
    });
    assert.equal(insert.batches.length, 0);

    const select = request("select id, name from src order by id;", [], {
      batchSize: 10,
    });
    assert.deepEqual(await t.connector.execute(select.request), {
      returnedRows: true,
      rowCount: 25,
    });
    assert.deepEqual(select.batches.map((b) => b.rows.length), [10, 10, 5]);
    assert.deepEqual(select.batches[0].columns.map((c) => c.name), [
      "id",
      "name",
    ]);
    assert.deepEqual(select.batches[2].rows.at(-1), [25, "n25"]);

    const returning = request(
      "delete from dst where id >= $1 returning id -- a trailing comment",
      [24],
    );
    assert.deepEqual(await t.connector.execute(returning.request), {
      returnedRows: true,
      rowCount: 2,
    });
    assert.deepEqual(
      returning.batches.flatMap((b) => b.rows).sort(),
      [[24], [25]],
    );
    const [left] = await t.db.query<{ n: number }>(
      `select count(*)::int as n from ${t.schema}.dst`,
    );
    assert.equal(left.n, 3);

    const changes = request(
      "with gone as (delete from dst where id = $1 returning id) select count(*)::int as n from gone",
      [21],
    );
    assert.deepEqual(await t.connector.execute(changes.request), {
      returnedRows: true,
      rowCount: 1,
    });
    assert.deepEqual(changes.batches[0].rows, [[1]]);
    const ddl = request("create table made_here (id int)");
    assert.deepEqual(await t.connector.execute(ddl.request), {
      returnedRows: false,
      rowCount: 0,
    });
  });

  Deno.test(`execute() on ${flavour.name}: a failure or a refused row consumer leaves the database unchanged`, async () => {
    await using t = await flavour.open();
    await t.db.query(
      `create table ${t.schema}.acct (id int primary key, amount int)`,
    );
    await t.db.query(`insert into ${t.schema}.acct values (1, 10), (2, 20)`);
    const failing = request(
      "update acct set amount = amount / (id - 2) returning id",
    );
    await assert.rejects(
      () => t.connector.execute(failing.request),
      /Cannot run statement on .*division by zero/,
    );
    const consumerFails = request(
      "update acct set amount = 0 returning id",
      [],
      {
        onRows: () => Promise.reject(new Error("disk full")),
      },
    );
    await assert.rejects(
      () => t.connector.execute(consumerFails.request),
      /disk full/,
    );
    const rows = await t.db.query(
      `select id, amount from ${t.schema}.acct order by id`,
    );
    assert.deepEqual(rows, [{ id: 1, amount: 10 }, { id: 2, amount: 20 }]);
  });
}

Deno.test("execute() on a server: aborting cancels a running pg_sleep and rolls back", async () => {
  await using t = await serverFlavour.open();
  await t.db.query("create table public.marks (id int)");
  const controller = new AbortController();
  const sleeping = request(
    "insert into marks select 1 from (select pg_sleep(60)) s",
    [],
    { signal: controller.signal },
  );
  const running = t.connector.execute(sleeping.request);
  // Abort once the statement is really running on the server.
  for (let i = 0; i < 200; i++) {
    const [row] = await t.db.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where query like '%pg_sleep(60)%' and state = 'active' and pid <> pg_backend_pid()",
    );
    if (row.n > 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  controller.abort(new Error("stop"));
  await assert.rejects(running, /stop/);
  // Cancelled, not merely abandoned: the server is no longer sleeping.
  const [active] = await t.db.query<{ n: number }>(
    "select count(*)::int as n from pg_stat_activity where query like '%pg_sleep(60)%' and state = 'active' and pid <> pg_backend_pid()",
  );
  assert.equal(active.n, 0);
  assert.deepEqual(await t.db.query("select * from public.marks"), []);
});

Deno.test("shapeOf() reads how a statement runs from its top-level code", () => {
  const cases: [string, Shape][] = [
    ["select 1", "query"],
    ["(select 1) union (select 2)", "query"],
    ["-- insert\nvalues (1)", "query"],
    ["with a as (select 1) select * from a", "query"],
    ["with a as (delete from t returning *) select * from a", "with-changes"],
    ["insert into t select * from s", "command"],
    ["insert into t values ('returning') ", "command"],
    ["update t set a = (select 1) returning id", "returning"],
    ["with a as (select 1) insert into t select * from a", "command"],
    ["create table t as select 1", "command"],
    ["call refresh()", "command"],
  ];
  for (const [text, shape] of cases) assert.equal(shapeOf(text), shape, text);
});
