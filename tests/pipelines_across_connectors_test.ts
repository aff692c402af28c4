// Any connector as a source of an extract step and any writable one as the
// target of a load step, through real runs on the queue: MariaDB, a REST API,
// S3 (s3rver) and the warehouse.

import assert from "node:assert/strict";
import { startPlatform } from "./harness.ts";
import { scratchMysql } from "../connectors/mysql/test_server.ts";
import { startS3 } from "../connectors/s3/test_server.ts";

type P = Awaited<ReturnType<typeof startPlatform>>;

async function post(p: P, path: string, body: unknown) {
  const response = await p.fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.ok(response.status < 300, `${path}: ${await response.clone().text()}`);
  return await response.json();
}

async function runPipeline(p: P, definition: unknown) {
  const { id } = await post(p, "/api/v1/pipelines", definition);
  const { id: runId } = await post(p, `/api/v1/pipelines/${id}/runs`, {});
  const run = await p.waitForRun(runId);
  assert.equal(
    run.status,
    "SUCCESS",
    JSON.stringify(run.tasks.map((t) => [t.step_key, t.error])),
  );
  return run;
}

Deno.test("a pipeline extracts from MariaDB and loads the warehouse, types intact", async () => {
  await using mysql = await scratchMysql();
  await mysql.db.query(
    "create table orders (id bigint primary key, total decimal(20,6), day date, note varchar(50))",
  );
  await mysql.db.query(
    "insert into orders values (1, 12345678901234.123456, '2026-11-27', 'Zoë'), (2, 0.5, '2026-01-01', null)",
  );
  await using p = await startPlatform();
  await post(p, "/api/v1/connectors", {
    name: "shop",
    kind: "mysql",
    config: { ...mysql.config, password: undefined },
  });
  const run = await runPipeline(p, {
    name: "mysql_orders",
    steps: [
      {
        id: "orders",
        type: "extract",
        connector: "shop",
        config: { table: "orders" },
      },
      {
        id: "load",
        type: "load",
        needs: ["orders"],
        connector: "warehouse",
        config: { table: "orders" },
      },
    ],
  });
  assert.equal(run.tasks[1].rows_out, 2);
  const rows = await p.services.db.query(
    "select id, total::text as total, day::text as day, note from warehouse.orders order by id",
  );
  assert.deepEqual(rows, [
    { id: 1, total: "12345678901234.123456", day: "2026-11-27", note: "Zoë" },
    { id: 2, total: "0.500000", day: "2026-01-01", note: null },
  ]);
});

Deno.test("a pipeline pages through a REST API into the warehouse", async () => {
  const pages = [[{ id: 1, name: "a" }, { id: 2, name: "b" }], [{
    id: 3,
    name: "c",
  }], []];
  await using server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
  }, (req) => {
    if (req.headers.get("authorization") !== "Bearer t0ken-123") {
      return new Response("no", { status: 401 });
    }
    const page = Number(new URL(req.url).searchParams.get("page") ?? "1");
    return Response.json({ data: pages[page - 1] ?? [] });
  });
  await using p = await startPlatform();
  await post(p, "/api/v1/connectors", {
    name: "api",
    kind: "rest",
    config: {
      url: `http://127.0.0.1:${server.addr.port}/items`,
      auth_type: "bearer",
      token: "t0ken-123",
      records_path: "data",
      pagination: "page",
    },
  });
  const run = await runPipeline(p, {
    name: "rest_items",
    steps: [
      { id: "items", type: "extract", connector: "api" },
      {
        id: "load",
        type: "load",
        needs: ["items"],
        connector: "warehouse",
        config: { table: "items" },
      },
    ],
  });
  assert.equal(run.tasks[0].rows_out, 3);
  const rows = await p.services.db.query<{ id: number }>(
    "select id from warehouse.items order by id",
  );
  assert.deepEqual(rows.map((r) => r.id), [1, 2, 3]);
  const logs = await p.services.db.query<{ message: string }>(
    "select message from task_log",
  );
  assert.ok(logs.every((l) => !l.message.includes("t0ken-123")));
});

Deno.test("a pipeline reads CSV objects from S3 by glob and writes NDJSON back to S3", async () => {
  await using s3 = await startS3("etl-bucket");
  await s3.put("in/2026-11-01.csv", "id,city\n1,Paris\n2,Oslo\n");
  await s3.put("in/2026-11-02.csv", "id,city\n3,Lima\n");
  await s3.put("other/skip.csv", "id,city\n9,Nope\n");
  await using p = await startPlatform();
  await post(p, "/api/v1/connectors", {
    name: "lake",
    kind: "s3",
    config: s3.config(),
  });
  const run = await runPipeline(p, {
    name: "s3_roundtrip",
    steps: [
      {
        id: "cities",
        type: "extract",
        connector: "lake",
        config: { path: "in/*.csv" },
      },
      {
        id: "to_warehouse",
        type: "load",
        needs: ["cities"],
        connector: "warehouse",
        config: { table: "cities" },
      },
      {
        id: "to_s3",
        type: "load",
        needs: ["cities"],
        connector: "lake",
        config: { table: "out/cities.ndjson", mode: "replace" },
      },
    ],
  });
  assert.deepEqual(run.tasks.map((t) => t.rows_out), [3, 3, 3]);
  const rows = await p.services.db.query<{ city: string }>(
    "select city from warehouse.cities order by id",
  );
  assert.deepEqual(rows.map((r) => r.city), ["Paris", "Oslo", "Lima"]);
  const written = new TextDecoder().decode(await s3.get("out/cities.ndjson"));
  assert.deepEqual(written.trim().split("\n").map((l) => JSON.parse(l).city), [
    "Paris",
    "Oslo",
    "Lima",
  ]);
});
