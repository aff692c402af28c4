// Crash: real worker processes killed with SIGKILL (kill -9) at different
// points of a run — mid-extract, mid-load, right after a load's commit —
// then a new worker; every run completes with exactly the expected rows in
// its targets: no row lost, none loaded twice. A step with no attempt left
// ends FAILURE with the reason instead, and nothing stays RUNNING.
// Always on the PostgreSQL server, whatever ETL_TEST_DB says: a fleet of
// worker processes needs it (PGlite is one process by design).

import assert from "node:assert/strict";
import { type Platform, startPlatform } from "./harness.ts";
import {
  postJson,
  startWorkerProcess,
  waitFor,
  waitForRunEnd,
  type WorkerProcess,
} from "./fleet.ts";
import { getRunView } from "../lib/engine/run_view.ts";

const ROWS = 2000;

// Slow on purpose (about 1 ms a row, read and written), so a test can see a
// step at work and kill its worker there.
const SETUP = `
  create schema if not exists warehouse;
  create function warehouse.slow_id(i int) returns int language plpgsql
    volatile as $$ begin perform pg_sleep(0.001); return i; end $$;
  create function warehouse.slow_row() returns trigger language plpgsql
    as $$ begin perform pg_sleep(0.001); return new; end $$;`;

async function slowTarget(p: Platform, table: string) {
  await p.services.db.query(
    `create table warehouse.${table} (id bigint, name text)`,
  );
  await p.services.db.query(
    `create trigger slow before insert on warehouse.${table}
     for each row execute function warehouse.slow_row()`,
  );
}

/** extract → one load (streamed, fused) or → two loads (from the staged dataset). */
function pipeline(name: string, targets: string[], retries: number) {
  return {
    name,
    steps: [
      {
        id: "read",
        type: "extract",
        connector: "warehouse",
        retries,
        config: {
          query:
            `select slow_id(i) as id, 'row ' || i as name from generate_series(1, ${ROWS}) i`,
          batchSize: 100,
        },
      },
      ...targets.map((table) => ({
        id: `load_${table}`,
        type: "load",
        needs: ["read"],
        connector: "warehouse",
        retries,
        config: { table, mode: "append" },
      })),
    ],
  };
}

async function taskOf(p: Platform, runId: number, step: string) {
  const run = await getRunView(p.services.db, runId);
  return run?.tasks.find((t) => t.step_key === step);
}

/** True while a COPY into `table` is running on the server. */
async function copyActive(p: Platform, table: string): Promise<boolean> {
  const rows = await p.services.db.query(
    `select 1 from pg_stat_activity
     where datname = current_database() and state = 'active'
       and query ilike $1`,
    [`copy "warehouse"."${table}"%`],
  );
  return rows.length > 0;
}

async function assertExactRows(p: Platform, table: string) {
  const [row] = await p.services.db.query<
    { n: number; ids: number; total: number }
  >(
    `select count(*)::int as n, count(distinct id)::int as ids,
       coalesce(sum(id), 0)::float8 as total from warehouse.${table}`,
  );
  assert.deepEqual(
    row,
    { n: ROWS, ids: ROWS, total: (ROWS * (ROWS + 1)) / 2 },
    `rows of ${table}`,
  );
}

interface Scenario {
  name: string;
  targets: string[];
  /** Set: the worker kills itself there (ETL_CRASH_AT). */
  crashAt?: string;
  /** Otherwise: the test kills it once this holds. */
  killWhen?: (p: Platform, runId: number) => Promise<boolean>;
  /** Steps' `retries` (default 2); with 0, the crash is the only attempt. */
  retries?: number;
}

const SCENARIOS: Scenario[] = [
  {
    name: "mid-load of a streamed extract → load",
    targets: ["streamed_mid"],
    killWhen: async (p, runId) =>
      (await taskOf(p, runId, "load_streamed_mid"))?.status === "RUNNING" &&
      await copyActive(p, "streamed_mid"),
  },
  {
    name: "mid-extract, before its loads start",
    targets: ["extract_a", "extract_b"],
    killWhen: async (p, runId) => {
      const read = await taskOf(p, runId, "read");
      return read?.status === "RUNNING" && (read.rows_out ?? 0) >= 100;
    },
  },
  {
    name: "mid-load from a staged dataset",
    targets: ["staged_a", "staged_b"],
    killWhen: async (p, runId) =>
      (await taskOf(p, runId, "load_staged_a"))?.status === "RUNNING" &&
      await copyActive(p, "staged_a"),
  },
  {
    name: "right after a streamed load's commit",
    targets: ["streamed_commit"],
    crashAt: "after-load-commit",
  },
  {
    name: "right after a staged load's commit",
    targets: ["staged_commit_a", "staged_commit_b"],
    crashAt: "after-load-commit",
  },
  {
    name: "mid-load with no attempt left",
    targets: ["no_retries"],
    retries: 0,
    killWhen: async (p, runId) =>
      (await taskOf(p, runId, "load_no_retries"))?.status === "RUNNING" &&
      await copyActive(p, "no_retries"),
  },
];

Deno.test({
  name:
    "a worker killed with SIGKILL mid-extract, mid-load or after a load's commit: the run completes with exactly the expected rows",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using p = await startPlatform({ worker: false, backend: "postgres" });
    await p.services.db.query(SETUP);
    const workers: WorkerProcess[] = [];
    try {
      for (const scenario of SCENARIOS) {
        for (const table of scenario.targets) await slowTarget(p, table);
        const created = await postJson(
          p,
          "/api/v1/pipelines",
          pipeline(
            scenario.targets[0].replaceAll("_", "-"),
            scenario.targets,
            scenario.retries ?? 2,
          ),
        );
        const { id: runId } = await postJson(
          p,
          `/api/v1/pipelines/${created.id}/runs`,
          {},
        );
        const doomed = startWorkerProcess(p, {
          env: scenario.crashAt ? { ETL_CRASH_AT: scenario.crashAt } : {},
        });
        workers.push(doomed);
        let status: Deno.CommandStatus;
        if (scenario.killWhen) {
          await waitFor(
            `the kill point of "${scenario.name}"`,
            () => scenario.killWhen!(p, runId),
          );
          status = await doomed.kill("SIGKILL");
        } else {
          status = await waitFor(
            `the worker to crash at ${scenario.crashAt}`,
            () => Promise.race([doomed.status, Promise.resolve(undefined)]),
          );
        }
        assert.equal(status.signal, "SIGKILL", doomed.output());
        const before = await getRunView(p.services.db, runId);
        assert.notEqual(before?.status, "SUCCESS", scenario.name);

        const rescuer = startWorkerProcess(p);
        workers.push(rescuer);
        const run = await waitForRunEnd(p, runId);
        if (scenario.retries === 0) {
          // Given up on, with the reason; its load rolled back, nothing RUNNING.
          assert.equal(run.status, "FAILURE", JSON.stringify(run.tasks));
          const [read, load] = run.tasks;
          assert.equal(read.status, "FAILURE");
          assert.match(read.error ?? "", /stopped responding/);
          assert.equal(load.status, "SKIPPED");
          const [{ n }] = await p.services.db.query<{ n: number }>(
            `select count(*)::int as n from warehouse.${scenario.targets[0]}`,
          );
          assert.equal(n, 0);
          await rescuer.kill("SIGTERM");
          continue;
        }
        assert.equal(
          run.status,
          "SUCCESS",
          `${scenario.name}: ${JSON.stringify(run.tasks)}\n${rescuer.output()}`,
        );
        for (const table of scenario.targets) await assertExactRows(p, table);
        if (scenario.crashAt) {
          // The window was hit: a load committed, then ran again and skipped.
          const logs = await p.services.db.query<{ message: string }>(
            `select l.message from task_log l join task_run t on t.id = l.task_run_id
             where t.pipeline_run_id = $1`,
            [runId],
          );
          assert.ok(
            logs.some((l) => l.message.startsWith("already loaded")),
            `${scenario.name}: ${logs.map((l) => l.message).join("\n")}`,
          );
        }
        await rescuer.kill("SIGTERM");
      }
    } finally {
      for (const worker of workers) await worker.kill("SIGKILL");
    }
  },
});
