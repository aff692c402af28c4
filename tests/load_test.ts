// Load: 200 runs of a small pipeline queued at once, drained by 4 worker
// processes on one PostgreSQL; every run ends SUCCESS, every TaskRun's job
// completed exactly once, and each target holds exactly each run's rows.
// Always on the PostgreSQL server, whatever ETL_TEST_DB says: a fleet of
// worker processes needs it (PGlite is one process by design).

import assert from "node:assert/strict";
import { startPlatform } from "./harness.ts";
import { postJson, startWorkerProcess, waitFor } from "./fleet.ts";
import { startPipelineRun } from "../lib/engine/start_run.ts";

const RUNS = 200;
const WORKERS = 4;
const ROWS_PER_RUN = 3;

Deno.test({
  name:
    "200 runs queued at once and 4 worker processes: all succeed, each TaskRun ran once in effect, targets hold exact rows",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using p = await startPlatform({ worker: false, backend: "postgres" });
    const db = p.services.db;
    // extract → two loads: three jobs a run, a fan-out, and tables that
    // the first loads create while others load into them.
    const created = await postJson(p, "/api/v1/pipelines", {
      name: "many_small_runs",
      steps: [
        {
          id: "read",
          type: "extract",
          connector: "warehouse",
          config: {
            query:
              `select {{ run.id }}::bigint as run_id, n from generate_series(1, ${ROWS_PER_RUN}) n`,
          },
        },
        ...["to_a", "to_b"].map((table) => ({
          id: table,
          type: "load",
          needs: ["read"],
          connector: "warehouse",
          config: { table, mode: "append" },
        })),
      ],
    });
    for (let i = 0; i < RUNS; i++) {
      await startPipelineRun(db, created.id, { trigger: "api" });
    }
    const workers = Array.from(
      { length: WORKERS },
      () => startWorkerProcess(p, { leaseSeconds: 30 }),
    );
    try {
      await waitFor("every run to end", async () => {
        const [open] = await db.query<{ n: number }>(
          `select count(*)::int as n from pipeline_run
           where status in ('PENDING', 'RUNNING')`,
        );
        return open.n === 0;
      }, 240);
      const statuses = await db.query<{ status: string; n: number }>(
        "select status, count(*)::int as n from pipeline_run group by status",
      );
      const errors = await db.query<{ step_key: string; error: string }>(
        "select step_key, error from task_run where error is not null",
      );
      assert.deepEqual(
        statuses,
        [{ status: "SUCCESS", n: RUNS }],
        JSON.stringify(errors),
      );
      const [tasks] = await db.query<{ n: number; ok: number }>(
        `select count(*)::int as n,
           count(*) filter (where status = 'SUCCESS')::int as ok
         from task_run`,
      );
      assert.deepEqual(tasks, { n: RUNS * 3, ok: RUNS * 3 });
      // No TaskRun's job completed twice (a streamed load has none of its own).
      const jobs = await db.query<{ status: string; n: number }>(
        `select status, count(*)::int as n from job
         group by status order by status`,
      );
      assert.deepEqual(jobs, [{ status: "done", n: RUNS * 3 }]);
      const [twice] = await db.query<{ n: number }>(
        `select count(*)::int as n from (
           select payload ->> 'taskRunId' from job
           group by 1 having count(*) > 1) d`,
      );
      assert.equal(twice.n, 0);
      for (const table of ["to_a", "to_b"]) {
        const [rows] = await db.query<
          { n: number; runs: number; exact: number }
        >(
          `select sum(c)::int as n, count(*)::int as runs,
             count(*) filter (where c = $1)::int as exact
           from (select run_id, count(*) as c from warehouse.${table}
                 group by run_id) r`,
          [ROWS_PER_RUN],
        );
        assert.deepEqual(
          rows,
          { n: RUNS * ROWS_PER_RUN, runs: RUNS, exact: RUNS },
          table,
        );
      }
      const [markers] = await db.query<{ n: number }>(
        "select count(*)::int as n from warehouse._etl_load_marker",
      );
      assert.equal(markers.n, RUNS * 2);
      // No worker process died on the way.
      for (const worker of workers) {
        assert.equal(
          await Promise.race([worker.status, null]),
          null,
          worker.output(),
        );
      }
    } finally {
      for (const worker of workers) await worker.kill("SIGTERM");
    }
  },
});
