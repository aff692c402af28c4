// A pipeline's max_concurrent_runs: runs started beyond it wait (PENDING, no
// job queued) and start one by one, oldest first, as runs end or are
// cancelled. Against a REST API on loopback that answers slowly.

import assert from "node:assert/strict";
import { type Platform, startPlatform } from "./harness.ts";
import { getRunView } from "../lib/engine/run_view.ts";
import { startWorker } from "../main.ts";

/** A REST API that answers after `delayMs`, or not at all while held. */
function slowApi(delayMs: number) {
  let held = false;
  let release = Promise.withResolvers<void>();
  let requests = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async () => {
      requests++;
      if (held) await release.promise;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return Response.json({ data: [{ id: 1 }, { id: 2 }] });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/items`,
    get requests() {
      return requests;
    },
    hold() {
      held = true;
      release = Promise.withResolvers<void>();
    },
    release() {
      held = false;
      release.resolve();
    },
    [Symbol.asyncDispose]: async () => {
      release.resolve();
      await server.shutdown();
    },
  };
}

async function ok(response: Response) {
  const text = await response.text();
  assert.ok(response.status < 300, `${response.status}: ${text}`);
  return JSON.parse(text);
}

async function limitedPipeline(p: Platform, url: string): Promise<number> {
  await ok(
    await p.fetch("/api/v1/connectors", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        name: "slow_api",
        kind: "rest",
        config: { url, records_path: "data" },
      }),
    }),
  );
  const { id } = await ok(
    await p.fetch("/api/v1/pipelines", {
      method: "POST",
      headers: { "content-type": "application/yaml" },
      body: [
        "name: one_at_a_time",
        "max_concurrent_runs: 1",
        "steps:",
        "  - id: read",
        "    type: extract",
        "    connector: slow_api",
        "  - id: load",
        "    type: load",
        "    needs: [read]",
        "    connector: warehouse",
        "    config: { table: one_at_a_time }",
        "",
      ].join("\n"),
    }),
  );
  return id;
}

async function startRun(p: Platform, pipelineId: number): Promise<number> {
  const { id } = await ok(
    await p.fetch(`/api/v1/pipelines/${pipelineId}/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    }),
  );
  return id;
}

/** Records, every 20 ms until stopped, the most runs seen RUNNING at once. */
function watchRunning(p: Platform, pipelineId: number) {
  let stopped = false;
  let most = 0;
  let mostAdmitted = 0;
  let observations = 0;
  const done = (async () => {
    while (!stopped) {
      // Admitted runs (RUNNING, or PENDING with their jobs queued) count too.
      const [row] = await p.services.db.query<{ n: number; admitted: number }>(
        `select count(*) filter (where status = 'RUNNING')::int as n,
           count(*) filter (where waiting is null)::int as admitted
         from pipeline_run
         where pipeline_id = $1 and status in ('PENDING', 'RUNNING')`,
        [pipelineId],
      );
      most = Math.max(most, row.n);
      mostAdmitted = Math.max(mostAdmitted, row.admitted);
      observations++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const stop = async () => {
    stopped = true;
    await done;
    return { most, mostAdmitted, observations };
  };
  return {
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
}

Deno.test("max_concurrent_runs 1: three runs wait their turn, run one at a time and all succeed in start order", async () => {
  await using api = slowApi(1000);
  await using p = await startPlatform();
  const pipelineId = await limitedPipeline(p, api.url);
  await using watcher = watchRunning(p, pipelineId);
  const runs = [
    await startRun(p, pipelineId),
    await startRun(p, pipelineId),
    await startRun(p, pipelineId),
  ];
  // The last one waits (two runs ahead of it, 1 s each), with the reason,
  // and has no job queued.
  const [third] = await p.services.db.query<{ waiting: string | null }>(
    "select waiting from pipeline_run where id = $1",
    [runs[2]],
  );
  assert.match(third.waiting ?? "", /^waiting: 1 run of this pipeline/);
  const [jobs] = await p.services.db.query<{ n: number }>(
    `select count(*)::int as n from job j
     join task_run t on t.id = (j.payload ->> 'taskRunId')::bigint
     where t.pipeline_run_id = $1`,
    [runs[2]],
  );
  assert.equal(jobs.n, 0, "a waiting run has no job");
  const ended = [];
  for (const runId of runs) ended.push(await p.waitForRun(runId));
  const { most, mostAdmitted, observations } = await watcher.stop();
  assert.ok(observations > 5, `observed ${observations} times`);
  assert.equal(most, 1, "never more than one run RUNNING");
  assert.equal(mostAdmitted, 1, "never more than one run admitted");
  assert.deepEqual(ended.map((r) => r.status), [
    "SUCCESS",
    "SUCCESS",
    "SUCCESS",
  ]);
  assert.deepEqual(ended.map((r) => r.waiting), [null, null, null]);
  // Each started after the one before it ended.
  for (let i = 1; i < ended.length; i++) {
    assert.ok(
      ended[i].started_at! >= ended[i - 1].finished_at!,
      `run ${ended[i].id} started ${ended[i].started_at}, before run ${
        ended[i - 1].id
      } ended ${ended[i - 1].finished_at}`,
    );
  }
  const [rows] = await p.services.db.query<{ n: number }>(
    "select count(*)::int as n from warehouse.one_at_a_time",
  );
  assert.equal(rows.n, 6);
  // The limit is part of the definition: exported, and shown on its page.
  const yaml = await (await p.fetch(
    `/api/v1/pipelines/${pipelineId}/export?format=yaml`,
  )).text();
  assert.match(yaml, /^max_concurrent_runs: 1$/m);
  const page = await (await p.fetch(`/pipelines/${pipelineId}`)).text();
  assert.match(page, /At most 1\s*run\s*at once/);
});

Deno.test("cancelling the running run admits the oldest waiting one", async () => {
  await using api = slowApi(50);
  await using p = await startPlatform();
  const pipelineId = await limitedPipeline(p, api.url);
  api.hold();
  const first = await startRun(p, pipelineId);
  const second = await startRun(p, pipelineId);
  const third = await startRun(p, pipelineId);
  // The first one is reading (held); the others wait.
  for (let i = 0; api.requests === 0; i++) {
    assert.ok(i < 300, "the first run never called the API");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const waiting = (await getRunView(p.services.db, second))!;
  assert.equal(waiting.status, "PENDING");
  assert.equal(waiting.waiting, "waiting: 1 run of this pipeline is running");
  const page = await (await p.fetch(`/runs/${second}`)).text();
  assert.match(page, /id="run-waiting"[^>]*>waiting: 1 run of this pipeline/);

  api.release();
  const cancelled = await p.fetch(`/api/v1/runs/${first}/cancel`, {
    method: "POST",
  });
  assert.equal(cancelled.status, 200);
  await cancelled.body?.cancel();
  // Admitted in the cancel's transaction: no waiting reason, a job queued.
  assert.equal((await getRunView(p.services.db, second))!.waiting, null);
  assert.notEqual((await getRunView(p.services.db, third))!.waiting, null);
  const results = [
    await p.waitForRun(first),
    await p.waitForRun(second),
    await p.waitForRun(third),
  ];
  assert.deepEqual(results.map((r) => r.status), [
    "CANCELLED",
    "SUCCESS",
    "SUCCESS",
  ]);
  assert.ok(results[2].started_at! >= results[1].finished_at!);
});

Deno.test("max_concurrent_runs must be a positive whole number: the YAML error names its line", async () => {
  await using p = await startPlatform();
  const response = await p.fetch("/api/v1/pipelines", {
    method: "POST",
    headers: { "content-type": "application/yaml" },
    body: [
      "name: bad_limit",
      "max_concurrent_runs: 0",
      "steps:",
      "  - id: read",
      "    type: extract",
      "    connector: files",
      "",
    ].join("\n"),
  });
  assert.equal(response.status, 422);
  const text = await response.text();
  assert.match(text, /max_concurrent_runs/);
  assert.match(text, /2:22|line 2/);
});

Deno.test("max_concurrent_runs 2 holds with runs started at once and two workers taking tasks", async () => {
  await using api = slowApi(150);
  await using p = await startPlatform();
  const second = await startWorker(p.services);
  try {
    const pipelineId = await limitedPipeline(p, api.url);
    await ok(
      await p.fetch(`/api/v1/pipelines/${pipelineId}`, {
        method: "PUT",
        headers: { "content-type": "application/yaml" },
        body: [
          "name: one_at_a_time",
          "max_concurrent_runs: 2",
          "steps:",
          "  - id: read",
          "    type: extract",
          "    connector: slow_api",
          "  - id: load",
          "    type: load",
          "    needs: [read]",
          "    connector: warehouse",
          "    config: { table: one_at_a_time }",
          "",
        ].join("\n"),
      }),
    );
    await using watcher = watchRunning(p, pipelineId);
    const runs = await Promise.all(
      Array.from({ length: 8 }, () => startRun(p, pipelineId)),
    );
    const ended = [];
    for (const runId of runs) ended.push(await p.waitForRun(runId));
    const { most, mostAdmitted } = await watcher.stop();
    assert.ok(most <= 2, `${most} runs RUNNING at once`);
    assert.ok(mostAdmitted <= 2, `${mostAdmitted} runs admitted at once`);
    assert.ok(ended.every((r) => r.status === "SUCCESS"));
    const [rows] = await p.services.db.query<{ n: number }>(
      "select count(*)::int as n from warehouse.one_at_a_time",
    );
    assert.equal(rows.n, 16);
  } finally {
    await second.stop();
  }
});
