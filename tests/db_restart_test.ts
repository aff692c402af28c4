// Database restart: while runs extract and load, every backend of the test
// database but this test's own is terminated (pg_terminate_backend, twice),
// as a PostgreSQL restart would drop them. The worker processes reconnect
// (their LISTEN connection too); every run ends SUCCESS or FAILURE with a
// reason, nothing stays RUNNING, and a successful run's rows are exact.
// Always on the PostgreSQL server, whatever ETL_TEST_DB says: a fleet of
// worker processes needs it (PGlite is one process by design).

import assert from "node:assert/strict";
import { type Platform, startPlatform } from "./harness.ts";
import { postJson, startWorkerProcess, waitFor } from "./fleet.ts";
import { startPipelineRun } from "../lib/engine/start_run.ts";

const ROWS = 1000;
const RUNS = 4;

const SETUP = `
  create schema if not exists warehouse;
  create function warehouse.slow_id(i int) returns int language plpgsql
    volatile as $$ begin perform pg_sleep(0.001); return i; end $$;
  create function warehouse.slow_row() returns trigger language plpgsql
    as $$ begin perform pg_sleep(0.001); return new; end $$;
  create table warehouse.restarted (run_id bigint, id bigint);
  create trigger slow before insert on warehouse.restarted
    for each row execute function warehouse.slow_row();`;

/** `probe`, with the errors of a connection this test's pool lost turned into "not yet". */
function tolerant<T>(probe: () => Promise<T>): () => Promise<T | undefined> {
  return () => probe().catch(() => undefined);
}

async function terminateOthers(p: Platform): Promise<number> {
  const [row] = await p.services.db.query<{ n: number }>(
    `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
     where datname = current_database() and pid <> pg_backend_pid()`,
  );
  return row.n;
}

Deno.test({
  name:
    "backends terminated mid-run: workers reconnect, every run ends SUCCESS or FAILURE with a reason, none stays RUNNING",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using p = await startPlatform({ worker: false, backend: "postgres" });
    const db = p.services.db;
    await db.query(SETUP);
    const created = await postJson(p, "/api/v1/pipelines", {
      name: "survives_restart",
      steps: [
        {
          id: "read",
          type: "extract",
          connector: "warehouse",
          retries: 3,
          config: {
            query:
              `select {{ run.id }}::bigint as run_id, slow_id(i) as id from generate_series(1, ${ROWS}) i`,
            batchSize: 100,
          },
        },
        {
          id: "load",
          type: "load",
          needs: ["read"],
          connector: "warehouse",
          retries: 3,
          config: { table: "restarted", mode: "append" },
        },
      ],
    });
    for (let i = 0; i < RUNS; i++) await startPipelineRun(db, created.id);
    const workers = [1, 2].map((n) => {
      const url = new URL(p.databaseUrl!);
      url.searchParams.set("application_name", `etl_worker_${n}`);
      return startWorkerProcess(p, { databaseUrl: url.toString() });
    });
    try {
      await waitFor("a load to be copying", async () => {
        const rows = await db.query(
          `select 1 from pg_stat_activity where datname = current_database()
           and state = 'active' and query ilike 'copy%'`,
        );
        return rows.length > 0;
      });
      assert.ok(await terminateOthers(p) >= 2);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      // Again, while they reconnect and retry.
      await tolerant(() => terminateOthers(p))();

      await waitFor(
        "every run to end",
        tolerant(async () => {
          const [open] = await db.query<{ n: number }>(
            `select count(*)::int as n from pipeline_run
             where status in ('PENDING', 'RUNNING')`,
          );
          return open.n === 0;
        }),
        120,
      ).catch(async (error) => {
        const state = await db.query(
          `select t.pipeline_run_id as run, t.step_key, t.status, t.error,
             j.status as job, j.attempts, j.locked_by, j.last_error
           from task_run t left join job j on (j.payload ->> 'taskRunId')::bigint = t.id
           order by t.id`,
        );
        throw new Error(
          `${error.message}: ${JSON.stringify(state)}\n${
            workers.map((w) => w.output()).join("\n---\n")
          }`,
        );
      });
      const runs = await db.query<
        { id: number; status: string; error: string | null }
      >("select id, status, error from pipeline_run order by id");
      const tasks = await db.query<
        { run: number; status: string; error: string | null }
      >(
        "select pipeline_run_id as run, status, error from task_run order by id",
      );
      const detail = JSON.stringify({ runs, tasks });
      for (const run of runs) {
        assert.ok(["SUCCESS", "FAILURE"].includes(run.status), detail);
        if (run.status === "FAILURE") {
          assert.ok(run.error, detail);
          assert.ok(
            tasks.some((t) =>
              t.run === run.id && t.status === "FAILURE" && t.error
            ),
            detail,
          );
        }
      }
      assert.ok(!tasks.some((t) => ["PENDING", "RUNNING"].includes(t.status)));
      const counts = await db.query<{ run_id: number; n: number; ids: number }>(
        `select run_id, count(*)::int as n, count(distinct id)::int as ids
         from warehouse.restarted group by run_id order by run_id`,
      );
      const succeeded = runs.filter((r) => r.status === "SUCCESS").map((r) =>
        r.id
      );
      assert.deepEqual(
        counts.filter((c) => succeeded.includes(c.run_id)),
        succeeded.map((id) => ({ run_id: id, n: ROWS, ids: ROWS })),
        detail,
      );
      // A failed run's load rolled back: none of its rows are there.
      assert.ok(
        counts.every((c) => succeeded.includes(c.run_id)),
        detail,
      );

      // The workers lived through it and listen again.
      for (const worker of workers) {
        assert.equal(
          await Promise.race([worker.status, null]),
          null,
          worker.output(),
        );
      }
      for (const n of [1, 2]) {
        await waitFor(
          `worker ${n}'s LISTEN connection to come back`,
          async () =>
            (await db.query(
              `select 1 from pg_stat_activity where application_name = $1
               and query ilike 'listen%'`,
              [`etl_worker_${n}`],
            )).length > 0,
        );
      }
      const after = await startPipelineRun(db, created.id);
      await waitFor("a run started after the restart to succeed", async () => {
        const [run] = await db.query<{ status: string }>(
          "select status from pipeline_run where id = $1",
          [after],
        );
        assert.notEqual(run.status, "FAILURE");
        return run.status === "SUCCESS";
      }, 120);
    } finally {
      for (const worker of workers) await worker.kill("SIGKILL");
    }
  },
});
