// Two real `ETL_ROLE=scheduler` processes on one PostgreSQL database, both
// firing the same schedule (every 2 seconds, ticks every second): each
// occurrence gets exactly one run, none is skipped.

import assert from "node:assert/strict";
import { generateKey } from "../lib/secrets/keyring.ts";
import { createScratchDatabase } from "../lib/db/test_db.ts";
import { openPostgresDb } from "../lib/db/postgres_db.ts";
import { migrate } from "../lib/db/migrate.ts";
import { ensureWarehouseConnector } from "../lib/connector/connector_store.ts";
import { savePipeline } from "../lib/pipeline/pipeline_store.ts";
import { pipelineSchema } from "../lib/pipeline/pipeline_schema.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

function startScheduler(url: string, dataDir: string, key: string) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN],
    env: {
      DATABASE_URL: url,
      ETL_ROLE: "scheduler",
      ETL_DATA_DIR: dataDir,
      ETL_SECRET_KEY: key,
      ETL_SCHEDULER_TICK_SECONDS: "1",
      ETL_LOG_LEVEL: "warn",
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

Deno.test("two scheduler processes on one database: each scheduled run is created exactly once", async () => {
  const scratch = await createScratchDatabase("etl_sched");
  const db = await openPostgresDb(scratch.url, { max: 2 });
  const dataDir = await Deno.makeTempDir({ prefix: "etl_sched_" });
  const children: Deno.ChildProcess[] = [];
  try {
    await migrate(db);
    await ensureWarehouseConnector(db);
    const { id } = await savePipeline(
      db,
      pipelineSchema.parse({
        name: "every_two_seconds",
        schedule: { cron: "*/2 * * * * *", catchup: "all" },
        steps: [{
          id: "read",
          type: "extract",
          connector: "warehouse",
          config: { query: "select 1 as one" },
        }],
      }),
    );
    const key = generateKey();
    for (const name of ["a", "b"]) {
      children.push(startScheduler(scratch.url, `${dataDir}/${name}`, key));
    }
    const stderr = children.map((child) => new Response(child.stderr).text());
    // Until both have ticked a few times and several runs exist (bounded).
    for (let i = 0;; i++) {
      const [state] = await db.query<{ nodes: number; runs: number }>(
        `select (select count(*)::int from (
                   select node from scheduler_tick group by node
                   having count(*) >= 4) busy) as nodes,
                (select count(*)::int from pipeline_run) as runs`,
      );
      if (state.nodes === 2 && state.runs >= 5) break;
      assert.ok(i < 600, `after 60 s: ${JSON.stringify(state)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const child of children) child.kill("SIGTERM");
    const statuses = await Promise.all(children.map((c) => c.status));
    const outputs = await Promise.all(stderr);
    statuses.forEach((status, i) =>
      assert.equal(status.code, 0, `scheduler ${i}: ${outputs[i]}`)
    );
    assert.doesNotMatch(outputs.join("\n"), /tick failed|Cannot fire/);

    const runs = await db.query<{ id: number; scheduled_for: Date }>(
      `select id, scheduled_for from pipeline_run
       where pipeline_id = $1 and trigger = 'schedule' order by scheduled_for`,
      [id],
    );
    const times = runs.map((r) => new Date(r.scheduled_for).getTime());
    assert.equal(new Set(times).size, times.length, "no occurrence twice");
    for (let i = 1; i < times.length; i++) {
      assert.equal(times[i] - times[i - 1], 2000, "no occurrence skipped");
    }
    // Each run was fired (and audited) by exactly one of the two.
    const fires = await db.query<{ run_id: string }>(
      `select detail ->> 'runId' as run_id from audit_event
       where action = 'schedule.fire'`,
    );
    assert.deepEqual(
      fires.map((f) => Number(f.run_id)).sort((a, b) => a - b),
      runs.map((r) => Number(r.id)).sort((a, b) => a - b),
    );
  } finally {
    for (const child of children) {
      try {
        child.kill("SIGKILL");
      } catch { /* already ended */ }
    }
    await db.close();
    await scratch.drop();
    await Deno.remove(dataDir, { recursive: true }).catch(() => {});
  }
});
