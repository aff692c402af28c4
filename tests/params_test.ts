// Typed run parameters end to end: declared in the pipeline, given to
// POST /api/v1/pipelines/:id/runs or the run form, checked (422 with the
// field), and bound as values in the extract's SQL on a real PostgreSQL and
// MariaDB: an injection attempt stays a value.

import assert from "node:assert/strict";
import { type Platform, startPlatform } from "./harness.ts";
import { createScratchDatabase } from "../lib/db/test_db.ts";
import { scratchMysql } from "../connectors/mysql/test_server.ts";
import postgres from "postgres";

const EVIL = "'; drop table events; --";

async function send(p: Platform, path: string, body: unknown) {
  return await p.fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function created(response: Response): Promise<{ id: number }> {
  const text = await response.text();
  assert.ok(response.status < 300, `${response.status}: ${text}`);
  return JSON.parse(text);
}

function paramsPipeline(name: string, connector: string) {
  return {
    name,
    params: {
      day: { type: "date" },
      min_id: { type: "number", default: 2 },
    },
    steps: [
      {
        id: "events",
        type: "extract",
        connector,
        config: {
          query:
            "select * from events where day = {{ params.day }} and id >= {{ params.min_id }}",
        },
      },
      {
        id: "load",
        type: "load",
        needs: ["events"],
        connector: "warehouse",
        // A template in plain text: rendered into the table name.
        config: { table: "{{ run.pipeline }}_events" },
      },
    ],
  };
}

function namePipeline(name: string, connector: string) {
  return {
    name,
    params: { name: { type: "string" } },
    steps: [
      {
        id: "events",
        type: "extract",
        connector,
        config: {
          query: "select * from events where name = {{ params.name }}",
        },
      },
      {
        id: "load",
        type: "load",
        needs: ["events"],
        connector: "warehouse",
        config: { table: `${name}_events` },
      },
    ],
  };
}

async function startRun(p: Platform, pipelineId: number, params: unknown) {
  const { id } = await created(
    await send(p, `/api/v1/pipelines/${pipelineId}/runs`, { params }),
  );
  const run = await p.waitForRun(id);
  return run;
}

async function warehouseIds(p: Platform, table: string): Promise<number[]> {
  const rows = await p.services.db.query<{ id: number }>(
    `select id::int as id from warehouse."${table}" order by id`,
  );
  return rows.map((r) => r.id);
}

// Both sources hold the same rows.
const EVENTS = [
  [1, "2026-01-02", "a"],
  [2, "2026-01-02", "b"],
  [3, "2026-01-02", "c"],
  [4, "2026-01-03", "d"],
] as const;

async function checkSource(p: Platform, connector: string, prefix: string) {
  const { id } = await created(
    await send(
      p,
      "/api/v1/pipelines",
      paramsPipeline(`${prefix}_day`, connector),
    ),
  );
  const run = await startRun(p, id, { day: "2026-01-02" });
  assert.equal(
    run.status,
    "SUCCESS",
    JSON.stringify(run.tasks.map((t) => [t.step_key, t.error])),
  );
  assert.deepEqual(await warehouseIds(p, `${prefix}_day_events`), [2, 3]);
  const [stored] = await p.services.db.query<{ params: unknown }>(
    "select params from pipeline_run where id = $1",
    [run.id],
  );
  assert.deepEqual(stored.params, { day: "2026-01-02", min_id: 2 });
  const logs = await p.services.db.query<{ message: string }>(
    "select message from task_log where task_run_id = $1",
    [run.tasks[0].id],
  );
  assert.ok(
    logs.some((l) =>
      l.message === 'query values, bound in order: ["2026-01-02",2]'
    ),
    JSON.stringify(logs),
  );

  // Wrong types, unknown and missing parameters: 422 naming each field.
  const bad = await send(p, `/api/v1/pipelines/${id}/runs`, {
    params: { day: EVIL, min_id: "2", colour: "red" },
  });
  assert.equal(bad.status, 422);
  assert.match(bad.headers.get("content-type")!, /problem\+json/);
  const problem = await bad.json();
  assert.deepEqual(problem.errors, [
    {
      field: "params.colour",
      message: 'unknown parameter "colour"; declared: day, min_id',
    },
    { field: "params.day", message: "must be a date (YYYY-MM-DD)" },
    { field: "params.min_id", message: "must be a number" },
  ]);
  assert.equal(problem.field, "params.colour");
  const missing = await send(p, `/api/v1/pipelines/${id}/runs`, {});
  assert.equal(missing.status, 422);
  assert.deepEqual((await missing.json()).errors, [
    { field: "params.day", message: 'required parameter "day" is missing' },
  ]);
  const notObject = await send(p, `/api/v1/pipelines/${id}/runs`, {
    params: [1],
  });
  assert.equal(notObject.status, 422);
  assert.equal((await notObject.json()).field, "params");

  // A string parameter carrying SQL stays a value: no row matches, the
  // table is still there.
  const named = await created(
    await send(
      p,
      "/api/v1/pipelines",
      namePipeline(`${prefix}_name`, connector),
    ),
  );
  const evil = await startRun(p, named.id, { name: EVIL });
  assert.equal(
    evil.status,
    "SUCCESS",
    JSON.stringify(evil.tasks.map((t) => [t.step_key, t.error])),
  );
  assert.equal(evil.tasks[0].rows_out, 0);
  const good = await startRun(p, named.id, { name: "d" });
  assert.equal(good.tasks[0].rows_out, 1);
  return id;
}

Deno.test("params bind into a PostgreSQL query, 422 on bad values, injection stays a value", async () => {
  const scratch = await createScratchDatabase("etl_params");
  const sql = postgres(scratch.url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(
      "create table events (id int primary key, day date not null, name text)",
    );
    for (const [id, day, name] of EVENTS) {
      await sql`insert into events values (${id}, ${day}, ${name})`;
    }
    await using p = await startPlatform();
    const url = new URL(scratch.url);
    await created(
      await send(p, "/api/v1/connectors", {
        name: "events_pg",
        kind: "postgres",
        config: {
          host: url.hostname,
          port: Number(url.port || 5432),
          database: url.pathname.slice(1),
          user: decodeURIComponent(url.username || "postgres"),
        },
      }),
    );
    await checkSource(p, "events_pg", "pg");
    const [{ count }] = await sql`select count(*)::int as count from events`;
    assert.equal(count, 4);
  } finally {
    await sql.end();
    await scratch.drop();
  }
});

Deno.test("params bind into a MariaDB query, injection stays a value", async () => {
  await using mysql = await scratchMysql();
  await mysql.db.query(
    "create table events (id int primary key, day date not null, name varchar(50))",
  );
  for (const row of EVENTS) {
    await mysql.db.query("insert into events values (?, ?, ?)", [...row]);
  }
  await using p = await startPlatform();
  await created(
    await send(p, "/api/v1/connectors", {
      name: "events_my",
      kind: "mysql",
      config: { ...mysql.config, password: undefined },
    }),
  );
  await checkSource(p, "events_my", "my");
  const [{ count }] = await mysql.rows<{ count: number }>(
    "select count(*) as count from events",
  );
  assert.equal(Number(count), 4);
});

Deno.test("the warehouse binds params too, and a quoted template is refused before saving", async () => {
  await using p = await startPlatform();
  await p.services.db.query(
    "create table warehouse.events (id int, day date, name text)",
  );
  await p.services.db.query(
    "insert into warehouse.events values (1, '2026-01-02', 'a'), (2, '2026-01-02', 'b'), (3, '2026-01-02', 'c'), (4, '2026-01-03', 'd')",
  );
  const { id } = await created(
    await send(p, "/api/v1/pipelines", paramsPipeline("wh_day", "warehouse")),
  );
  const run = await startRun(p, id, { day: "2026-01-02", min_id: 3 });
  assert.equal(
    run.status,
    "SUCCESS",
    JSON.stringify(run.tasks.map((t) => [t.step_key, t.error])),
  );
  assert.deepEqual(await warehouseIds(p, "wh_day_events"), [3]);

  const quoted = paramsPipeline("wh_quoted", "warehouse");
  quoted.steps[0].config = {
    query: "select * from events where day = '{{ params.day }}'",
  };
  const refused = await send(p, "/api/v1/pipelines", quoted);
  assert.equal(refused.status, 422);
  const problem = await refused.json();
  assert.equal(problem.errors[0].field, "steps.0.config.query");
  assert.equal(
    problem.errors[0].message,
    "{{ params.day }} is inside quotes and cannot be bound: remove the quotes",
  );
  const undeclared = paramsPipeline("wh_undeclared", "warehouse");
  undeclared.steps[0].config = {
    query: "select * from events where day = {{ params.dya }}",
  };
  const response = await send(p, "/api/v1/pipelines", undeclared);
  assert.equal(response.status, 422);
  const body = await response.json();
  assert.equal(body.errors[0].field, "steps.0.config.query");
  assert.equal(
    body.errors[0].message,
    'unknown parameter "dya" in {{ params.dya }}',
  );
});

Deno.test("the run form has one input per parameter and re-renders errors with 422", async () => {
  await using p = await startPlatform();
  await p.services.db.query("create table warehouse.events (id int, day date)");
  await p.services.db.query(
    "insert into warehouse.events values (1, '2026-01-02'), (5, '2026-01-02'), (6, '2026-01-04')",
  );
  const definition = paramsPipeline("form_day", "warehouse");
  const { id } = await created(
    await send(p, "/api/v1/pipelines", {
      ...definition,
      params: {
        ...definition.params,
        full: { type: "boolean", default: true },
        region: { type: "enum", values: ["eu", "us"], default: "us" },
        note: { type: "string", required: false, description: "Free text" },
      },
    }),
  );
  const html = await (await p.fetch(`/pipelines/${id}`)).text();
  assert.match(
    html,
    /<input name="params.day" id="param-day" type="date" required/,
  );
  assert.match(
    html,
    /<input name="params.min_id" id="param-min_id" type="number" step="any" value="2"/,
  );
  assert.match(
    html,
    /<input name="params.full" id="param-full" type="checkbox" checked/,
  );
  assert.match(html, /<option value="us" selected>us<\/option>/);
  assert.match(html, /id="param-note" type="text" value\/>/);
  assert.match(html, /Free text/);
  assert.match(html, /id="run-pipeline"/);
  assert.match(html, /Shared with/);

  const post = (fields: Record<string, string>) =>
    p.fetch(`/pipelines/${id}`, {
      method: "POST",
      body: new URLSearchParams(fields),
      redirect: "manual",
    });
  const invalid = await post({
    "params.day": "2026-13-40",
    "params.min_id": "abc",
    "params.region": "asia",
  });
  assert.equal(invalid.status, 422);
  const page = await invalid.text();
  assert.match(page, /id="run-errors"/);
  assert.match(page, /params.day: must be a date \(YYYY-MM-DD\)/);
  assert.match(page, /id="param-min_id-error">must be a number</);
  assert.match(page, /id="param-region-error">must be one of: eu, us</);
  // The posted values come back, for the user to fix.
  assert.match(
    page,
    /id="param-min_id" aria-invalid="true" type="number" step="any" value="abc"/,
  );
  assert.match(page, /id="param-full" type="checkbox"(?! checked)/);

  const ok = await post({ "params.day": "2026-01-02", "params.min_id": "2" });
  assert.equal(ok.status, 303, await ok.clone().text());
  const runId = Number(ok.headers.get("location")!.split("/").pop());
  const run = await p.waitForRun(runId);
  assert.equal(
    run.status,
    "SUCCESS",
    JSON.stringify(run.tasks.map((t) => [t.step_key, t.error])),
  );
  assert.deepEqual(await warehouseIds(p, "form_day_events"), [5]);
  const [stored] = await p.services.db.query<{ params: unknown }>(
    "select params from pipeline_run where id = $1",
    [runId],
  );
  assert.deepEqual(stored.params, {
    day: "2026-01-02",
    min_id: 2,
    full: false,
    region: "us",
    note: null,
  });
});

Deno.test("{{ run.scheduled_date }} and run variables resolve when the run executes", async () => {
  await using p = await startPlatform();
  const { id } = await created(
    await send(p, "/api/v1/pipelines", {
      name: "run_vars",
      params: { day: { type: "date", default: "{{ run.scheduled_date }}" } },
      steps: [
        {
          id: "vars",
          type: "extract",
          connector: "warehouse",
          config: {
            query:
              "select {{ params.day }}::date as day, {{ run.id }}::int as run_id, {{ run.pipeline }}::text as pipeline, {{ run.scheduled_time }}::timestamptz as at",
          },
        },
        {
          id: "load",
          type: "load",
          needs: ["vars"],
          connector: "warehouse",
          config: { table: "vars_{{ run.id }}" },
        },
      ],
    }),
  );
  const run = await startRun(p, id, {});
  assert.equal(
    run.status,
    "SUCCESS",
    JSON.stringify(run.tasks.map((t) => [t.step_key, t.error])),
  );
  const [row] = await p.services.db.query<
    { day: string; run_id: number; pipeline: string; same: boolean }
  >(
    `select v.day::text as day, v.run_id, v.pipeline, v.at = date_trunc('milliseconds', r.created_at) as same
     from warehouse."vars_${run.id}" v join pipeline_run r on r.id = v.run_id`,
  );
  const [today] = await p.services.db.query<{ day: string }>(
    "select (created_at at time zone 'UTC')::date::text as day from pipeline_run where id = $1",
    [run.id],
  );
  assert.deepEqual(row, {
    day: today.day,
    run_id: run.id,
    pipeline: "run_vars",
    same: true,
  });
  const html = await (await p.fetch(`/pipelines/${id}`)).text();
  assert.match(html, /id="param-day" type="date" value\/>/);
  assert.match(html, /empty: the run(&#39;|')s scheduled date/);
});
