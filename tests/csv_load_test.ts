// The walking skeleton end to end: upload a CSV, run extract → load through
// the queue and a real worker, into the local warehouse or a real PostgreSQL.

import assert from "node:assert/strict";
import postgres from "postgres";
import { startPlatform } from "./harness.ts";
import { createScratchDatabase } from "../lib/db/test_db.ts";

const CSV = "id,name,amount,created_at,flag\n" +
  '1,"Smith, Jane",12.50,2026-01-02T03:04:05Z,true\n' +
  "2,Émile,0.10,2026-01-03T00:00:00+02:00,false\n" +
  '3,"say ""hi""",,2026-01-04T00:00:00Z,\n';

async function upload(
  p: Awaited<ReturnType<typeof startPlatform>>,
  body: string,
) {
  const response = await p.fetch("/api/v1/uploads?filename=orders.csv", {
    method: "POST",
    body,
  });
  assert.equal(response.status, 201);
  return (await response.json()).name as string;
}

Deno.test("the Load a CSV form runs extract → load into the warehouse with row counts", async () => {
  await using p = await startPlatform();
  const name = await upload(p, CSV);
  const form = new URLSearchParams({
    upload: name,
    connector: "warehouse",
    table: "orders",
    mode: "append",
  });
  const response = await p.fetch("/load-csv", { method: "POST", body: form });
  assert.equal(response.status, 303);
  const runId = Number(response.headers.get("location")!.split("/").pop());
  const run = await p.waitForRun(runId);
  assert.equal(run.status, "SUCCESS", JSON.stringify(run));
  assert.deepEqual(run.tasks.map((t) => [t.step_key, t.status, t.rows_out]), [
    ["extract", "SUCCESS", 3],
    ["load", "SUCCESS", 3],
  ]);
  for (const task of run.tasks) {
    assert.ok(task.started_at && task.finished_at && task.duration_ms !== null);
  }
  const rows = await p.services.db.query<Record<string, unknown>>(
    "select id, name, amount::text as amount, flag from warehouse.orders order by id",
  );
  assert.deepEqual(rows, [
    { id: 1, name: "Smith, Jane", amount: "12.50", flag: true },
    { id: 2, name: "Émile", amount: "0.10", flag: false },
    { id: 3, name: 'say "hi"', amount: null, flag: null },
  ]);
  const page = await (await p.fetch(`/runs/${runId}`)).text();
  assert.match(page, /SUCCESS/);
  assert.match(page, /read 3 rows/);
});

Deno.test("a malformed CSV fails the extract with its line and leaves the target as it was", async () => {
  await using p = await startPlatform();
  const first = await p.fetch("/api/v1/csv-loads", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ upload: await upload(p, CSV), table: "orders" }),
  });
  assert.equal(first.status, 201);
  assert.equal(
    (await p.waitForRun((await first.json()).run_id)).status,
    "SUCCESS",
  );

  const ragged =
    "id,name,amount,created_at,flag\n1,a,1,2026-01-01T00:00:00Z,true\n2,b,2\n";
  const second = await p.fetch("/api/v1/csv-loads", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      upload: await upload(p, ragged),
      table: "orders",
      mode: "replace",
    }),
  });
  const run = await p.waitForRun((await second.json()).run_id);
  assert.equal(run.status, "FAILURE");
  const [extract, load] = run.tasks;
  assert.equal(extract.status, "FAILURE");
  assert.match(extract.error!, /line 3/);
  assert.equal(load.status, "SKIPPED");
  const [{ n }] = await p.services.db.query<{ n: number }>(
    "select count(*)::int as n from warehouse.orders",
  );
  assert.equal(n, 3);
});

Deno.test("a value the target rejects fails the load and rolls the whole load back", async () => {
  await using p = await startPlatform();
  await p.services.db.query(
    "create table warehouse.typed (id bigint, name text)",
  );
  await p.services.db.query("insert into warehouse.typed values (100, 'kept')");
  const csv = "id,name\n1,a\n2,b\nnot-a-number,c\n";
  const response = await p.fetch("/api/v1/csv-loads", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      upload: await upload(p, csv),
      table: "typed",
      mode: "replace",
    }),
  });
  const run = await p.waitForRun((await response.json()).run_id);
  assert.equal(run.status, "FAILURE");
  assert.equal(run.tasks[1].status, "FAILURE");
  assert.match(run.tasks[1].error!, /not-a-number/);
  const rows = await p.services.db.query(
    "select id, name from warehouse.typed",
  );
  assert.deepEqual(rows, [{ id: 100, name: "kept" }]);
});

Deno.test("a CSV loads into an external PostgreSQL connector whose password is never shown", async () => {
  const scratch = await createScratchDatabase("etl_target");
  try {
    await using p = await startPlatform();
    const url = new URL(scratch.url);
    const created = await p.fetch("/api/v1/connectors", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        name: "target_pg",
        kind: "postgres",
        config: {
          host: url.hostname,
          port: Number(url.port),
          database: url.pathname.slice(1),
          user: "postgres",
          password: "s3cret-Pa55",
        },
      }),
    });
    assert.equal(created.status, 201, await created.clone().text());
    assert.ok(!(await created.text()).includes("s3cret-Pa55"));
    const response = await p.fetch("/api/v1/csv-loads", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        upload: await upload(p, CSV),
        connector: "target_pg",
        table: "orders",
      }),
    });
    const run = await p.waitForRun((await response.json()).run_id);
    assert.equal(run.status, "SUCCESS", JSON.stringify(run));
    const sql = postgres(scratch.url, { max: 1 });
    const [{ n }] = await sql`select count(*)::int as n from public.orders`;
    await sql.end();
    assert.equal(n, 3);
    const list = await (await p.fetch("/api/v1/connectors")).text();
    assert.ok(list.includes("target_pg") && !list.includes("s3cret-Pa55"));
  } finally {
    await scratch.drop();
  }
});

Deno.test("GET /api/v1/runs/{id}/events streams run snapshots until the run ends", async () => {
  await using p = await startPlatform();
  const response = await p.fetch("/api/v1/csv-loads", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ upload: await upload(p, CSV), table: "streamed" }),
  });
  const { run_id } = await response.json();
  const events = await p.fetch(`/api/v1/runs/${run_id}/events`);
  assert.match(events.headers.get("content-type")!, /^text\/event-stream/);
  const text = await events.text(); // the stream ends with the run
  const snapshots = text.split("\n").filter((l) => l.startsWith("data: ")).map((
    l,
  ) => JSON.parse(l.slice(6)));
  assert.ok(snapshots.length >= 1);
  assert.equal(snapshots.at(-1).status, "SUCCESS");
  assert.equal(snapshots.at(-1).tasks[1].rows_out, 3);
});

Deno.test("bad API input gets a problem document naming the field, never a 500", async () => {
  await using p = await startPlatform();
  const response = await p.fetch("/api/v1/csv-loads", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ path: "/etc/passwd", table: "Bad Table" }),
  });
  assert.equal(response.status, 422);
  assert.equal(
    response.headers.get("content-type"),
    "application/problem+json",
  );
  const problem = await response.json();
  assert.equal(problem.field, "table");
  const untyped = await p.fetch("/api/v1/pipelines", {
    method: "POST",
    body: "{nope",
  });
  assert.equal(untyped.status, 415);
  await untyped.body?.cancel();
  const broken = await p.fetch("/api/v1/pipelines", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{nope",
  });
  assert.equal(broken.status, 422);
  const syntax = await broken.json();
  assert.equal(syntax.errors[0].line, 1);
  const missing = await p.fetch("/api/v1/runs/999999");
  assert.equal(missing.status, 404);
});

Deno.test("a server path outside the allowed directories fails the run without reading it", async () => {
  await using p = await startPlatform();
  const response = await p.fetch("/api/v1/csv-loads", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ path: "/etc/passwd", table: "stolen" }),
  });
  const run = await p.waitForRun((await response.json()).run_id);
  assert.equal(run.status, "FAILURE");
  assert.match(run.tasks[0].error!, /outside the allowed directories/);
});

Deno.test("GET /api/v1/health reports the database backend", async () => {
  await using p = await startPlatform();
  const response = await p.fetch("/api/v1/health");
  assert.equal(response.status, 200);
  const body = await response.json();
  assert.equal(body.status, "ok");
  assert.equal(body.database.backend, p.services.db.backend);
});
