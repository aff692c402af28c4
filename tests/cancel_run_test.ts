// Cancelling runs and re-running them, through the API and the run page,
// against a REST API that serves its second page slowly (Deno.serve on
// loopback): the abort reaches the running extract within 2 s.

import assert from "node:assert/strict";
import { type Platform, startPlatform, type TestUser } from "./harness.ts";
import { getRunView, type RunView } from "../lib/engine/run_view.ts";

/** A REST API: page 1 at once, page 2 dripped forever until the client leaves. */
function slowApi() {
  const pageTwo = Promise.withResolvers<void>();
  const closed = Promise.withResolvers<void>();
  const requests: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      const url = new URL(req.url);
      requests.push(url.pathname);
      if (url.searchParams.get("page") !== "2") {
        return Response.json({
          data: [{ id: 1, name: "a" }, { id: 2, name: "b" }],
        });
      }
      pageTwo.resolve();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"data": ['));
          timer = setInterval(
            () => controller.enqueue(new TextEncoder().encode(" ")),
            100,
          );
        },
        cancel() {
          clearInterval(timer);
          closed.resolve();
        },
      });
      return new Response(body, {
        headers: { "content-type": "application/json" },
      });
    },
  );
  return {
    url: (path: string) => `http://127.0.0.1:${server.addr.port}${path}`,
    pageTwo: pageTwo.promise,
    closed: closed.promise,
    requests,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

async function post(p: Platform | TestUser, path: string, body?: unknown) {
  return await p.fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function created(response: Response): Promise<{ id: number }> {
  const text = await response.text();
  assert.ok(response.status < 300, `${response.status}: ${text}`);
  return JSON.parse(text);
}

async function restPipeline(
  p: Platform,
  name: string,
  url: string,
  loads: { id: string; table: string }[],
): Promise<number> {
  await created(
    await post(p, "/api/v1/connectors", {
      name: `${name}_api`,
      kind: "rest",
      config: { url, records_path: "data", pagination: "page" },
    }),
  );
  const { id } = await created(
    await post(p, "/api/v1/pipelines", {
      name,
      steps: [
        { id: "items", type: "extract", connector: `${name}_api` },
        ...loads.map((load) => ({
          id: load.id,
          type: "load",
          needs: ["items"],
          connector: "warehouse",
          config: { table: load.table, mode: "append" },
        })),
      ],
    }),
  );
  return id;
}

/** Polls (every 50 ms, at most `ms`) until `done(run)`; returns the run. */
async function waitUntil(
  p: Platform,
  runId: number,
  done: (run: RunView) => boolean,
  ms: number,
): Promise<RunView> {
  const deadline = Date.now() + ms;
  for (;;) {
    const run = (await getRunView(p.services.db, runId))!;
    if (done(run)) return run;
    if (Date.now() > deadline) {
      throw new Error(
        `Run ${runId} not there after ${ms} ms: ${
          JSON.stringify(run.tasks.map((t) => [t.step_key, t.status]))
        }`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const settled = (run: RunView) =>
  run.tasks.every((t) => t.status !== "PENDING" && t.status !== "RUNNING");

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} after ${ms} ms`)), ms);
    }),
  ]);
}

async function tableExists(p: Platform, name: string): Promise<boolean> {
  const [row] = await p.services.db.query<{ t: string | null }>(
    "select to_regclass($1)::text as t",
    [`warehouse.${name}`],
  );
  return row.t !== null;
}

Deno.test("cancelling a running run stops its extract within 2 s; its waiting steps never start", async () => {
  await using api = slowApi();
  await using p = await startPlatform();
  const pipelineId = await restPipeline(p, "slow_items", api.url("/items"), [
    { id: "to_a", table: "cancel_a" },
    { id: "to_b", table: "cancel_b" },
  ]);
  const { id: runId } = await created(
    await post(p, `/api/v1/pipelines/${pipelineId}/runs`, {}),
  );
  await within(api.pageTwo, 10_000, "the extract did not reach page 2");
  await waitUntil(p, runId, (r) => r.tasks[0].status === "RUNNING", 5_000);

  const viewer = await p.createUser("viewer");
  const refused = await post(viewer, `/api/v1/runs/${runId}/cancel`);
  assert.equal(refused.status, 403);
  await refused.body?.cancel();
  const early = await post(p, `/api/v1/runs/${runId}/rerun`);
  assert.equal(early.status, 409, "a running run is not re-run");
  await early.body?.cancel();

  const operator = await p.createUser("operator");
  const started = Date.now();
  const response = await post(operator, `/api/v1/runs/${runId}/cancel`);
  assert.equal(response.status, 200);
  const answer = await response.json();
  assert.equal(answer.status, "CANCELLED");
  assert.equal(answer.error, `cancelled by ${operator.email}`);

  const run = await waitUntil(p, runId, settled, 2_000);
  const elapsed = Date.now() - started;
  assert.ok(elapsed < 2_000, `stopped after ${elapsed} ms`);
  await within(api.closed, 2_000, "the fixture's connection was not closed");
  assert.equal(run.status, "CANCELLED");
  const [items, toA, toB] = run.tasks;
  assert.deepEqual(
    [items.status, items.error],
    ["CANCELLED", "killed: cancelled"],
  );
  for (const load of [toA, toB]) {
    assert.equal(load.status, "CANCELLED");
    assert.equal(load.started_at, null, `${load.step_key} never started`);
  }
  assert.equal(await tableExists(p, "cancel_a"), false);
  assert.equal(await tableExists(p, "cancel_b"), false);
  const open = await p.services.db.query(
    "select id from job where status in ('queued', 'running')",
  );
  assert.deepEqual(open, [], "no job is left to run");
  const [audit] = await p.services.db.query<{ actor: string }>(
    "select actor from audit_event where action = 'run.cancel' and target_id = $1",
    [String(runId)],
  );
  assert.equal(audit?.actor, operator.email);

  // Cancelling it again changes nothing: 409, documented.
  const again = await post(p, `/api/v1/runs/${runId}/cancel`);
  assert.equal(again.status, 409);
  assert.match(
    (await again.json()).detail ?? "",
    /already ended \(CANCELLED\)/,
  );
  assert.equal((await p.waitForRun(runId)).error, answer.error);
});

Deno.test("a load cancelled mid-way leaves its target as it was", async () => {
  await using api = slowApi();
  await using p = await startPlatform();
  await p.services.db.query(
    "create table warehouse.people (id bigint, name text)",
  );
  await p.services.db.query("insert into warehouse.people values (0, 'kept')");
  // One extract feeding one load: on PostgreSQL the load streams the rows of
  // page 1 into an open transaction while page 2 is awaited.
  const pipelineId = await restPipeline(p, "slow_people", api.url("/people"), [
    { id: "load", table: "people" },
  ]);
  const { id: runId } = await created(
    await post(p, `/api/v1/pipelines/${pipelineId}/runs`, {}),
  );
  await within(api.pageTwo, 10_000, "the extract did not reach page 2");
  const started = Date.now();
  assert.equal((await post(p, `/api/v1/runs/${runId}/cancel`)).status, 200);
  const run = await waitUntil(p, runId, settled, 2_000);
  assert.ok(Date.now() - started < 2_000);
  assert.deepEqual(run.tasks.map((t) => t.status), ["CANCELLED", "CANCELLED"]);
  if (p.services.db.backend === "postgres") {
    // Streamed: the load was writing when it was stopped.
    assert.ok(run.tasks[1].started_at, "the load had started");
    assert.equal(run.tasks[1].error, "killed: cancelled");
  }
  const rows = await p.services.db.query("select * from warehouse.people");
  assert.deepEqual(rows, [{ id: 0, name: "kept" }]);
});

Deno.test("a cancelled PENDING run's tasks never start", async () => {
  // One job at a time: the slow run holds the only slot, the other waits.
  const before = Deno.env.get("ETL_WORKER_CONCURRENCY");
  Deno.env.set("ETL_WORKER_CONCURRENCY", "1");
  await using api = slowApi();
  await using p = await startPlatform().finally(() =>
    before === undefined
      ? Deno.env.delete("ETL_WORKER_CONCURRENCY")
      : Deno.env.set("ETL_WORKER_CONCURRENCY", before)
  );
  const slow = await restPipeline(p, "slow_first", api.url("/first"), [
    { id: "load", table: "first" },
  ]);
  const waiting = await restPipeline(p, "waiting", api.url("/waiting"), [
    { id: "load", table: "waiting" },
  ]);
  const { id: slowRun } = await created(
    await post(p, `/api/v1/pipelines/${slow}/runs`, {}),
  );
  await within(api.pageTwo, 10_000, "the slow run did not reach page 2");
  const { id: waitingRun } = await created(
    await post(p, `/api/v1/pipelines/${waiting}/runs`, {}),
  );
  assert.equal(
    (await getRunView(p.services.db, waitingRun))!.status,
    "PENDING",
  );
  const response = await post(p, `/api/v1/runs/${waitingRun}/cancel`);
  assert.equal(response.status, 200);
  const cancelled = await response.json();
  assert.equal(cancelled.status, "CANCELLED");
  assert.deepEqual(
    cancelled.tasks.map((t: RunView["tasks"][number]) => t.status),
    ["CANCELLED", "CANCELLED"],
  );
  // Free the slot: had the waiting run's job survived, it would start now.
  assert.equal((await post(p, `/api/v1/runs/${slowRun}/cancel`)).status, 200);
  await waitUntil(p, slowRun, settled, 2_000);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = (await getRunView(p.services.db, waitingRun))!;
  assert.ok(after.tasks.every((t) => t.started_at === null));
  assert.ok(!api.requests.includes("/waiting"), "the waiting run never read");
  const [job] = await p.services.db.query<{ status: string }>(
    `select j.status from job j join task_run t on t.id = (j.payload ->> 'taskRunId')::bigint
     where t.pipeline_run_id = $1`,
    [waitingRun],
  );
  assert.equal(job.status, "cancelled");
});

Deno.test("re-running a run starts a new run with the same parameter values", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) =>
      Response.json({
        data: new URL(req.url).searchParams.get("page") === "1"
          ? [{ id: 1 }, { id: 2 }]
          : [],
      }),
  );
  await using p = await startPlatform();
  await created(
    await post(p, "/api/v1/connectors", {
      name: "fast_api",
      kind: "rest",
      config: {
        url: `http://127.0.0.1:${server.addr.port}/items`,
        records_path: "data",
        pagination: "page",
      },
    }),
  );
  const { id: pipelineId } = await created(
    await post(p, "/api/v1/pipelines", {
      name: "tagged",
      params: { tag: { type: "string" } },
      steps: [
        { id: "items", type: "extract", connector: "fast_api" },
        {
          id: "load",
          type: "load",
          needs: ["items"],
          connector: "warehouse",
          config: { table: "items_{{ params.tag }}", mode: "append" },
        },
      ],
    }),
  );
  const { id: first } = await created(
    await post(p, `/api/v1/pipelines/${pipelineId}/runs`, {
      params: { tag: "blue" },
    }),
  );
  assert.equal((await p.waitForRun(first)).status, "SUCCESS");

  const operator = await p.createUser("operator");
  const response = await post(operator, `/api/v1/runs/${first}/rerun`);
  assert.equal(response.status, 201);
  const again = await response.json();
  assert.equal(again.status, "PENDING");
  assert.notEqual(again.id, first);
  assert.equal(response.headers.get("location"), `/api/v1/runs/${again.id}`);
  assert.equal((await p.waitForRun(again.id)).status, "SUCCESS");
  const params = await p.services.db.query<{ id: number; params: unknown }>(
    "select id, params from pipeline_run order by id",
  );
  assert.deepEqual(params, [
    { id: first, params: { tag: "blue" } },
    { id: again.id, params: { tag: "blue" } },
  ]);
  const [{ n }] = await p.services.db.query<{ n: number }>(
    "select count(*)::int as n from warehouse.items_blue",
  );
  assert.equal(n, 4, "both runs loaded");
  const [audit] = await p.services.db.query<{ detail: { runId: number } }>(
    "select detail from audit_event where action = 'run.rerun'",
  );
  assert.equal(audit.detail.runId, again.id);

  const viewer = await p.createUser("viewer");
  const refused = await post(viewer, `/api/v1/runs/${first}/rerun`);
  assert.equal(refused.status, 403);
  await refused.body?.cancel();
});

Deno.test("the run page shows Cancel while it runs and Re-run once it ended, to those who may", async () => {
  await using api = slowApi();
  await using p = await startPlatform();
  const pipelineId = await restPipeline(p, "page_items", api.url("/items"), [
    { id: "load", table: "page_items" },
  ]);
  const { id: runId } = await created(
    await post(p, `/api/v1/pipelines/${pipelineId}/runs`, {}),
  );
  await within(api.pageTwo, 10_000, "the extract did not reach page 2");
  const viewer = await p.createUser("viewer");
  const operator = await p.createUser("operator");
  const html = async (who: Platform | TestUser) =>
    await (await who.fetch(`/runs/${runId}`)).text();

  assert.match(await html(operator), /id="cancel-run"/);
  assert.doesNotMatch(await html(operator), /id="rerun-run"/);
  assert.doesNotMatch(await html(viewer), /id="cancel-run"/);

  const form = (action: string) =>
    operator.fetch(`/runs/${runId}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _action: action }),
    });
  const cancelled = await form("cancel");
  assert.equal(cancelled.status, 303);
  assert.equal(cancelled.headers.get("location"), `/runs/${runId}`);
  await waitUntil(p, runId, settled, 2_000);

  const page = await html(operator);
  assert.match(page, /badge-cancelled/);
  assert.match(page, /id="rerun-run"/);
  assert.doesNotMatch(page, /id="cancel-run"/);
  assert.doesNotMatch(await html(viewer), /id="rerun-run"/);

  const rerun = await form("rerun");
  assert.equal(rerun.status, 303);
  const next = Number(rerun.headers.get("location")?.split("/").pop());
  assert.ok(next > runId);
  // The re-run reads the same slow API again; stop it too.
  assert.equal((await post(p, `/api/v1/runs/${next}/cancel`)).status, 200);
  await waitUntil(p, next, settled, 5_000);
});
