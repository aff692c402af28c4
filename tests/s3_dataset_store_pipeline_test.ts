// A platform whose runs stage datasets in S3 (ETL_DATASET_STORE, s3rver):
// an extract feeding two loads (so nothing is streamed past the store)
// stages its rows as objects, both loads read them back, and the run's
// objects are gone once it ends. One load fails its first attempt (its
// table lacks a default) and waits for its retry: the objects are seen in
// the bucket while the run is still running.

import assert from "node:assert/strict";
import { startPlatform } from "./harness.ts";
import { S3RVER_KEY, startS3 } from "../connectors/s3/test_server.ts";

async function post(
  p: Awaited<ReturnType<typeof startPlatform>>,
  path: string,
  body: unknown,
) {
  const response = await p.fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  assert.ok(response.status < 300, `${path}: ${await response.clone().text()}`);
  return await response.json();
}

Deno.test("runs stage datasets in S3 and drop them when the run ends", async () => {
  await using s3 = await startS3();
  await using p = await startPlatform({
    env: {
      ETL_DATASET_STORE: `s3://${s3.bucket}/staging/`,
      ETL_DATASET_S3_ENDPOINT: s3.endpoint,
      ETL_DATASET_S3_REGION: "us-east-1",
      ETL_DATASET_S3_ACCESS_KEY_ID: S3RVER_KEY,
      ETL_DATASET_S3_SECRET_ACCESS_KEY: S3RVER_KEY,
    },
  });
  assert.equal(p.services.engine.datasetRoot, "s3://test-bucket/staging");
  const db = p.services.db;
  await db.query(
    "create table warehouse.src (id bigint primary key, note text, day date)",
  );
  await db.query(
    `insert into warehouse.src
     select g, case when g % 5 = 0 then null else 'n' || g || E'\\tü' end,
            date '2026-01-01' + g
     from generate_series(1, 2500) g`,
  );
  await db.query(
    "create table warehouse.dst_b (id bigint, note text, day date, extra text not null)",
  );
  const { id } = await post(p, "/api/v1/pipelines", {
    name: "s3_staged",
    steps: [
      {
        id: "read",
        type: "extract",
        connector: "warehouse",
        config: { table: "src" },
      },
      ...["dst_a", "dst_b"].map((table) => ({
        id: `load_${table}`,
        type: "load",
        needs: ["read"],
        connector: "warehouse",
        config: { table, mode: "append" },
        retries: 5,
      })),
    ],
  });
  const { id: runId } = await post(p, `/api/v1/pipelines/${id}/runs`, {});
  const staged = `staging/run-${runId}/read`;
  // Bounded: 600 polls of 100 ms at most.
  let failedOnce = false;
  for (let i = 0; i < 600 && !failedOnce; i++) {
    const [task] = await db.query<{ status: string; error: string | null }>(
      `select status, error from task_run
       where pipeline_run_id = $1 and step_key = 'load_dst_b'`,
      [runId],
    );
    failedOnce = task.status === "PENDING" && task.error !== null;
    if (!failedOnce) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(failedOnce, "load_dst_b should fail its first attempt");
  const [during] = await db.query<{ status: string }>(
    "select status from pipeline_run where id = $1",
    [runId],
  );
  assert.equal(during.status, "RUNNING");
  const keysDuring = await s3.keys();
  assert.ok(keysDuring.includes(`${staged}/chunk-00000`), `${keysDuring}`);
  assert.ok(keysDuring.includes(`${staged}/dataset.json`), `${keysDuring}`);
  // The retry (1 s, 2 s, 4 s… later) now succeeds.
  await db.query("alter table warehouse.dst_b drop column extra");
  const run = await p.waitForRun(runId);
  assert.equal(
    run.status,
    "SUCCESS",
    JSON.stringify(run.tasks.map((t) => [t.step_key, t.error])),
  );

  // The dataset was staged in the bucket, under the run's prefix, and both
  // loads read its chunk back from there.
  const chunk = `/test-bucket/staging/run-${runId}/read/chunk-00000`;
  const requested = (method: string) =>
    s3.requests.filter((r) => r.startsWith(`${method} ${chunk}`)).length;
  assert.ok(requested("PUT") + requested("POST") >= 1, `${s3.requests}`);
  assert.ok(requested("GET") >= 2, `${s3.requests}`);
  const datasets = await db.query<{ uri: string }>(
    `select d.uri from dataset d join task_run t on t.id = d.task_run_id
     where t.pipeline_run_id = $1`,
    [runId],
  );
  assert.deepEqual(datasets.map((d) => d.uri), [
    `s3://test-bucket/staging/run-${runId}/read`,
  ]);
  // Nothing under the data directory; nothing left in the bucket.
  await assert.rejects(Deno.stat(`${p.dataDir}/datasets/run-${runId}`));
  assert.deepEqual(await s3.keys(), []);

  for (const table of ["dst_a", "dst_b"]) {
    const rows = await db.query<{ n: number; same: number }>(
      `select count(*)::int as n,
              count(*) filter (where s.id is not null)::int as same
       from warehouse.${table} d
       left join warehouse.src s
         on s.id = d.id and s.note is not distinct from d.note and s.day = d.day`,
    );
    assert.deepEqual(rows, [{ n: 2500, same: 2500 }], table);
  }
});
