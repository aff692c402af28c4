// sql steps end to end: pipelines saved and run through the API against a
// real PostgreSQL server (a scratch database) and MariaDB, with the platform
// on PGlite or PostgreSQL (ETL_TEST_DB=postgres).

import assert from "node:assert/strict";
import { type Platform, startPlatform } from "./harness.ts";
import { createScratchDatabase } from "../lib/db/test_db.ts";
import { openPostgresDb } from "../lib/db/postgres_db.ts";
import type { Db } from "../lib/db/db.ts";
import { serverConfig } from "../connectors/postgres/test_targets.ts";
import { scratchMysql } from "../connectors/mysql/test_server.ts";
import { getRunView, type RunView } from "../lib/engine/run_view.ts";

async function send(p: Platform, path: string, body: unknown) {
  const response = await p.fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

async function ok(p: Platform, path: string, body: unknown) {
  const { status, json } = await send(p, path, body);
  assert.ok(status < 300, `${path}: ${status} ${JSON.stringify(json)}`);
  return json;
}

/** A scratch PostgreSQL database with a connector named `name` on it. */
async function pgDatabase(p: Platform, name: string) {
  const scratch = await createScratchDatabase("etl_sqlstep");
  const database = new URL(scratch.url).pathname.slice(1);
  await ok(p, "/api/v1/connectors", {
    name,
    kind: "postgres",
    config: serverConfig(database),
  });
  const db = await openPostgresDb(scratch.url, { max: 3 });
  return {
    db,
    url: scratch.url,
    async [Symbol.asyncDispose]() {
      await db.close();
      await scratch.drop();
    },
  };
}

async function runPipeline(
  p: Platform,
  definition: unknown,
  params: Record<string, unknown> = {},
): Promise<number> {
  const { id } = await ok(p, "/api/v1/pipelines", definition);
  const run = await ok(p, `/api/v1/pipelines/${id}/runs`, { params });
  return run.id;
}

async function waitUntil(
  p: Platform,
  runId: number,
  done: (run: RunView) => boolean | Promise<boolean>,
  what: string,
): Promise<RunView> {
  // Bounded polling: generous, never a timing assertion.
  for (let i = 0; i < 1200; i++) {
    const run = (await getRunView(p.services.db, runId))!;
    if (await done(run)) return run;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Run ${runId}: ${what} never happened`);
}

const task = (run: RunView, step: string) =>
  run.tasks.find((t) => t.step_key === step)!;

async function seedOrders(db: Db) {
  await db.query("create table orders (id int primary key, note text)");
  await db.query(
    "insert into orders select g, 'note ' || g from generate_series(1, 10) g",
  );
  await db.query("create table big_orders (id int primary key, note text)");
}

Deno.test("sql steps on PostgreSQL: INSERT … SELECT in the database, a SELECT feeding a load, values bound", async () => {
  await using p = await startPlatform();
  await using pg = await pgDatabase(p, "shop_pg");
  await seedOrders(pg.db);
  const runId = await runPipeline(p, {
    name: "sql_pg",
    params: { min: { type: "number" }, note: { type: "string" } },
    steps: [
      {
        id: "copy",
        type: "sql",
        connector: "shop_pg",
        query:
          "insert into big_orders select * from orders where id > {{ params.min }}",
      },
      {
        id: "pick",
        type: "sql",
        connector: "shop_pg",
        query:
          "select id, note from orders where note = {{ params.note }} or id > {{ params.min }} order by id",
      },
      {
        id: "load",
        type: "load",
        needs: ["pick"],
        connector: "warehouse",
        config: { table: "picked", mode: "replace" },
      },
    ],
  }, { min: 7, note: "x' or '1'='1" });
  const run = await p.waitForRun(runId);
  assert.equal(run.status, "SUCCESS", JSON.stringify(run.tasks));
  assert.deepEqual(
    [task(run, "copy").rows_out, task(run, "pick").rows_out],
    [3, 3],
  );
  const copied = await pg.db.query("select id from big_orders order by id");
  assert.deepEqual(copied, [{ id: 8 }, { id: 9 }, { id: 10 }]);
  // The injection attempt stayed a value: it matched no note.
  const loaded = await p.services.db.query(
    "select id, note from warehouse.picked order by id",
  );
  assert.deepEqual(loaded, [
    { id: 8, note: "note 8" },
    { id: 9, note: "note 9" },
    { id: 10, note: "note 10" },
  ]);
});

Deno.test("a failing sql step says why, leaves its table unchanged and skips what follows", async () => {
  await using p = await startPlatform();
  await using pg = await pgDatabase(p, "shop_pg");
  await seedOrders(pg.db);
  const runId = await runPipeline(p, {
    name: "sql_fails",
    steps: [
      {
        id: "bad",
        type: "sql",
        connector: "shop_pg",
        query:
          "update orders set note = 'changed' || (100 / (id - 5)) returning id",
      },
      {
        id: "after",
        type: "load",
        needs: ["bad"],
        connector: "warehouse",
        config: { table: "never" },
      },
    ],
  });
  const run = await p.waitForRun(runId);
  assert.equal(run.status, "FAILURE");
  assert.equal(task(run, "bad").status, "FAILURE");
  assert.match(task(run, "bad").error ?? "", /division by zero/);
  assert.deepEqual(
    [task(run, "after").status, task(run, "after").error],
    ["SKIPPED", "upstream step failed"],
  );
  const changed = await pg.db.query(
    "select id from orders where note like 'changed%'",
  );
  assert.deepEqual(changed, []);
});

Deno.test("sql steps on MariaDB: INSERT … SELECT and a SELECT feeding a load", async () => {
  await using p = await startPlatform();
  await using m = await scratchMysql();
  await ok(p, "/api/v1/connectors", {
    name: "shop_maria",
    kind: "mysql",
    config: m.config,
  });
  await m.db.query("create table orders (id int primary key, note text)");
  await m.db.query(
    "insert into orders values (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')",
  );
  await m.db.query("create table big_orders (id int primary key, note text)");
  const runId = await runPipeline(p, {
    name: "sql_maria",
    params: { min: { type: "number", default: 2 } },
    steps: [
      {
        id: "copy",
        type: "sql",
        connector: "shop_maria",
        query:
          "insert into big_orders select * from orders where id > {{ params.min }}",
      },
      {
        id: "pick",
        type: "sql",
        needs: ["copy"],
        connector: "shop_maria",
        query: "select id, note from big_orders order by id",
      },
      {
        id: "load",
        type: "load",
        needs: ["pick"],
        connector: "warehouse",
        config: { table: "maria_picked" },
      },
    ],
  });
  const run = await p.waitForRun(runId);
  assert.equal(run.status, "SUCCESS", JSON.stringify(run.tasks));
  assert.deepEqual(
    [task(run, "copy").rows_out, task(run, "pick").rows_out],
    [2, 2],
  );
  const loaded = await p.services.db.query(
    "select id, note from warehouse.maria_picked order by id",
  );
  assert.deepEqual(loaded, [{ id: 3, note: "c" }, { id: 4, note: "d" }]);
});

Deno.test("cancelling a run stops its running pg_sleep(60) on the server", async () => {
  await using p = await startPlatform();
  await using pg = await pgDatabase(p, "slow_pg");
  const runId = await runPipeline(p, {
    name: "sql_sleep",
    steps: [{
      id: "nap",
      type: "sql",
      connector: "slow_pg",
      query: "select pg_sleep(60) as slept",
    }],
  });
  const sleeping = async () => {
    const [row] = await pg.db.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where query like '%pg_sleep(60)%' and state = 'active' and pid <> pg_backend_pid()",
    );
    return row.n;
  };
  await waitUntil(
    p,
    runId,
    async (r) => r.tasks[0].status === "RUNNING" && await sleeping() > 0,
    "the statement running on the server",
  );
  const cancel = await send(p, `/api/v1/runs/${runId}/cancel`, {});
  assert.equal(cancel.status, 200);
  const run = await waitUntil(
    p,
    runId,
    (r) => r.tasks[0].status === "CANCELLED",
    "the step being cancelled",
  );
  assert.equal(run.tasks[0].error, "killed: cancelled");
  // The server stopped sleeping (pg_cancel_backend), it was not just left.
  for (let i = 0; i < 200 && await sleeping() > 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(await sleeping(), 0);
});

Deno.test("independent sql steps run in parallel; a join step waits for both", async () => {
  await using p = await startPlatform();
  await using pg = await pgDatabase(p, "lock_pg");
  await pg.db.query("create table marks (step text)");
  // The test holds the lock both steps wait on: they can only be waiting at
  // the same time if they run at the same time.
  const holder = await openPostgresDb(pg.url, { max: 1 });
  await holder.query("select pg_advisory_lock(4242)");
  const waiting = async () => {
    const [row] = await pg.db.query<{ n: number }>(
      "select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = 4242 and not granted",
    );
    return row.n;
  };
  const step = (id: string) => ({
    id,
    type: "sql",
    connector: "lock_pg",
    query:
      `insert into marks select '${id}' from (select pg_advisory_xact_lock_shared(4242)) l`,
  });
  const runId = await runPipeline(p, {
    name: "sql_parallel",
    steps: [step("left"), step("right"), {
      id: "join",
      type: "sql",
      needs: ["left", "right"],
      connector: "lock_pg",
      query: "select step from marks order by step",
    }],
  });
  const both = await waitUntil(
    p,
    runId,
    async (r) =>
      task(r, "left").status === "RUNNING" &&
      task(r, "right").status === "RUNNING" && await waiting() === 2,
    "both steps waiting on the lock at once",
  );
  assert.equal(task(both, "join").status, "PENDING");
  await holder.close();
  const run = await p.waitForRun(runId);
  assert.equal(run.status, "SUCCESS", JSON.stringify(run.tasks));
  assert.equal(task(run, "join").rows_out, 2);
});

Deno.test("an sql step on a connector without SQL is refused at its connector line", async () => {
  await using p = await startPlatform();
  await ok(p, "/api/v1/connectors", {
    name: "some_api",
    kind: "rest",
    config: { url: "http://127.0.0.1:9/none" },
  });
  const response = await p.fetch("/api/v1/pipelines", {
    method: "POST",
    headers: { "content-type": "application/yaml" },
    body: [
      "name: sql_on_rest",
      "steps:",
      "  - id: q",
      "    type: sql",
      "    connector: some_api",
      "    query: select 1",
      "  - id: h",
      "    type: http",
      "    connector: warehouse",
      "    url: /x",
    ].join("\n"),
  });
  assert.equal(response.status, 422);
  const problem = await response.json();
  assert.deepEqual(
    problem.errors.map((e: { field: string; line: number }) => [
      e.field,
      e.line,
    ]),
    [["steps.0.connector", 5], ["steps.1.connector", 9]],
  );
  assert.match(
    problem.errors[0].message,
    /"some_api", which is not a SQL database/,
  );
  assert.match(problem.errors[1].message, /not a REST API connector/);
});

Deno.test("a quoted template in an sql step's query is refused at its line", async () => {
  await using p = await startPlatform();
  const response = await p.fetch("/api/v1/pipelines", {
    method: "POST",
    headers: { "content-type": "application/yaml" },
    body: [
      "name: quoted",
      "params:",
      "  day: { type: date }",
      "steps:",
      "  - id: q",
      "    type: sql",
      "    connector: warehouse",
      "    query: select * from t where day = '{{ params.day }}'",
    ].join("\n"),
  });
  assert.equal(response.status, 422);
  const problem = await response.json();
  assert.equal(JSON.stringify(problem).includes("steps.0.query"), true);
  assert.match(JSON.stringify(problem), /inside quotes/);
  assert.match(JSON.stringify(problem), /"line":8/);
});

Deno.test("sql steps on the built-in warehouse: DDL, a bound SELECT feeding a load", async () => {
  await using p = await startPlatform();
  const runId = await runPipeline(p, {
    name: "sql_warehouse",
    params: { min: { type: "number", default: 3 } },
    steps: [
      {
        id: "make",
        type: "sql",
        connector: "warehouse",
        query:
          "create table wh_src as select g as id from generate_series(1, 5) g",
      },
      {
        id: "pick",
        type: "sql",
        needs: ["make"],
        connector: "warehouse",
        query: "select id from wh_src where id > {{ params.min }} order by id",
      },
      {
        id: "load",
        type: "load",
        needs: ["pick"],
        connector: "warehouse",
        config: { table: "wh_dst" },
      },
    ],
  });
  const run = await p.waitForRun(runId);
  assert.equal(run.status, "SUCCESS", JSON.stringify(run.tasks));
  assert.equal(task(run, "pick").rows_out, 2);
  const rows = await p.services.db.query(
    "select id from warehouse.wh_dst order by id",
  );
  assert.deepEqual(rows, [{ id: 4 }, { id: 5 }]);
});
