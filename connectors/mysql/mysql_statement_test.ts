// execute() of the MySQL connector on the test MariaDB / MySQL server.

import assert from "node:assert/strict";
import type { RecordBatch, StatementRequest } from "../types.ts";
import { scratchMysql } from "./test_server.ts";

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

Deno.test("MySQL execute(): INSERT … SELECT counts rows, SELECT streams batches, values stay values", async () => {
  await using m = await scratchMysql();
  await m.db.query("create table src (id int primary key, name text)");
  await m.db.query(
    "insert into src values (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd'), (5, 'e')",
  );
  await m.db.query("create table dst (id int primary key, name text)");
  const insert = request("insert into dst select * from src where id > ?", [2]);
  assert.deepEqual(await m.connector.execute(insert.request), {
    returnedRows: false,
    rowCount: 3,
  });
  const select = request("select id, name from src order by id;", [], {
    batchSize: 2,
  });
  assert.deepEqual(await m.connector.execute(select.request), {
    returnedRows: true,
    rowCount: 5,
  });
  assert.deepEqual(select.batches.map((b) => b.rows.length), [2, 2, 1]);
  assert.deepEqual(select.batches[0].rows[0], [1, "a"]);
  const injection = request("select count(*) as n from src where name = ?", [
    "a' or '1'='1",
  ]);
  await m.connector.execute(injection.request);
  assert.deepEqual(injection.batches[0].rows, [[0]]);
});

Deno.test("MySQL execute(): a failing statement rolls back what it changed", async () => {
  await using m = await scratchMysql();
  await m.db.query("create table acct (id int primary key, amount int)");
  await m.db.query("insert into acct values (1, 10), (2, 20)");
  // The second row hits the primary key of a row already there.
  const failing = request("insert into acct values (3, 30), (1, 99)");
  await assert.rejects(
    () => m.connector.execute(failing.request),
    /Cannot run statement on MySQL .*Duplicate entry/,
  );
  assert.deepEqual(await m.rows("select id, amount from acct order by id"), [
    { id: 1, amount: 10 },
    { id: 2, amount: 20 },
  ]);
});

Deno.test("MySQL execute(): aborting kills a running SLEEP", async () => {
  await using m = await scratchMysql();
  const controller = new AbortController();
  const sleeping = request("select sleep(60) as s", [], {
    signal: controller.signal,
  });
  const running = m.connector.execute(sleeping.request);
  for (let i = 0; i < 200; i++) {
    const rows = await m.rows(
      "select id from information_schema.processlist where info like 'select sleep(60)%'",
    );
    if (rows.length > 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  controller.abort(new Error("stop"));
  await assert.rejects(running, /stop/);
  for (let i = 0; i < 200; i++) {
    const rows = await m.rows(
      "select id from information_schema.processlist where info like 'select sleep(60)%'",
    );
    if (rows.length === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail("the query still runs on the server");
});
