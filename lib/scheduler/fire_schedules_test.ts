import assert from "node:assert/strict";
import { TEST_BACKEND, testDb } from "../db/test_db.ts";
import { openPostgresDb } from "../db/postgres_db.ts";
import type { Db } from "../db/db.ts";
import { ensureWarehouseConnector } from "../connector/connector_store.ts";
import { deletePipeline, savePipeline } from "../pipeline/pipeline_store.ts";
import {
  type PipelineDefinition,
  pipelineSchema,
} from "../pipeline/pipeline_schema.ts";
import { loadRunContext } from "../engine/run_context.ts";
import { type FiredRun, fireDueSchedules } from "./fire_schedules.ts";
import { getSchedule } from "./schedule_store.ts";

function definition(
  name: string,
  schedule: Record<string, unknown> | undefined,
): PipelineDefinition {
  return pipelineSchema.parse({
    name,
    schedule,
    params: { day: { type: "date", default: "{{ run.scheduled_date }}" } },
    steps: [
      {
        id: "read",
        type: "extract",
        connector: "warehouse",
        config: { query: "select {{ params.day }}::text as day" },
      },
      {
        id: "write",
        type: "load",
        needs: ["read"],
        connector: "warehouse",
        config: { table: `${name}_days` },
      },
    ],
  });
}

async function scheduledPipeline(
  db: Db,
  name: string,
  schedule: Record<string, unknown>,
  evaluatedUntil: string,
): Promise<number> {
  await ensureWarehouseConnector(db);
  const { id } = await savePipeline(db, definition(name, schedule));
  await db.query(
    "update schedule set evaluated_until = $2 where pipeline_id = $1",
    [id, new Date(evaluatedUntil)],
  );
  return id;
}

async function scheduledRuns(db: Db, pipelineId: number) {
  const rows = await db.query<
    { id: number; scheduled_for: Date; trigger: string; status: string }
  >(
    `select id, scheduled_for, trigger, status from pipeline_run
     where pipeline_id = $1 order by id`,
    [pipelineId],
  );
  return rows.map((row) => ({
    ...row,
    scheduled_for: new Date(row.scheduled_for).toISOString(),
  }));
}

const iso = (runs: FiredRun[]) => runs.map((r) => r.scheduledFor.toISOString());

Deno.test("fireDueSchedules() fires on time in the schedule's time zone; the run's scheduled date is that zone's day", async () => {
  await using t = await testDb();
  // 00:30 in Paris (CET, UTC+1) on 15 January is 23:30 UTC on the 14th.
  const id = await scheduledPipeline(
    t.db,
    "paris_nightly",
    { cron: "30 0 * * *", timezone: "Europe/Paris" },
    "2026-01-14T23:00:00Z",
  );
  assert.deepEqual(
    await fireDueSchedules(t.db, new Date("2026-01-14T23:29:00Z")),
    [],
  );
  const fired = await fireDueSchedules(
    t.db,
    new Date("2026-01-14T23:30:00.400Z"),
  );
  assert.deepEqual(iso(fired), ["2026-01-14T23:30:00.000Z"]);
  assert.deepEqual(
    await fireDueSchedules(t.db, new Date("2026-01-14T23:31:00Z")),
    [],
  );
  const runs = await scheduledRuns(t.db, id);
  assert.deepEqual(
    runs.map((r) => [r.scheduled_for, r.trigger, r.status]),
    [["2026-01-14T23:30:00.000Z", "schedule", "PENDING"]],
  );
  const context = await loadRunContext(t.db, runs[0].id);
  assert.equal(context.run.scheduled_date, "2026-01-15");
  assert.equal(context.run.scheduled_time, "2026-01-14T23:30:00.000Z");
  assert.equal(context.params.day, "2026-01-15");
  // Each run has its root task queued, and the fire is audited.
  const [jobs] = await t.db.query<{ n: number }>(
    "select count(*)::int as n from job where payload ->> 'taskRunId' is not null",
  );
  assert.equal(jobs.n, 1);
  const audit = await t.db.query<{ detail: { runId: number } }>(
    "select detail from audit_event where action = 'schedule.fire'",
  );
  assert.deepEqual(audit.map((a) => Number(a.detail.runId)), [runs[0].id]);
});

Deno.test("fireDueSchedules() in summer time: 02:00 New York is 06:00 UTC", async () => {
  await using t = await testDb();
  const id = await scheduledPipeline(
    t.db,
    "ny_daily",
    { cron: "0 2 * * *", timezone: "America/New_York" },
    "2026-07-01T05:00:00Z",
  );
  assert.deepEqual(
    await fireDueSchedules(t.db, new Date("2026-07-01T05:59:59Z")),
    [],
  );
  const fired = await fireDueSchedules(t.db, new Date("2026-07-01T06:00:01Z"));
  assert.deepEqual(iso(fired), ["2026-07-01T06:00:00.000Z"]);
  assert.equal((await scheduledRuns(t.db, id)).length, 1);
});

// Down from 06:00:30 until 10:00:05 (or 10:30): 07:00, 08:00 and 09:00 were
// missed; 10:00 is on time at 10:00:05 and missed at 10:30.
const CATCHUP_CASES: {
  name: string;
  schedule: Record<string, unknown>;
  now: string;
  fired: string[];
}[] = [
  {
    name: "none fires only what is due now",
    schedule: { catchup: "none" },
    now: "2026-03-02T10:00:05Z",
    fired: ["10:00"],
  },
  {
    name: "none skips everything missed",
    schedule: { catchup: "none" },
    now: "2026-03-02T10:30:00Z",
    fired: [],
  },
  {
    name: "latest fires the most recent missed one",
    schedule: { catchup: "latest" },
    now: "2026-03-02T10:30:00Z",
    fired: ["10:00"],
  },
  {
    name: "all fires each missed one, oldest first",
    schedule: { catchup: "all" },
    now: "2026-03-02T10:30:00Z",
    fired: ["07:00", "08:00", "09:00", "10:00"],
  },
  {
    name: "all with catchup_limit fires the most recent ones",
    schedule: { catchup: "all", catchup_limit: 2 },
    now: "2026-03-02T10:30:00Z",
    fired: ["09:00", "10:00"],
  },
];

for (const c of CATCHUP_CASES) {
  Deno.test(`fireDueSchedules() catch-up: ${c.name}`, async () => {
    await using t = await testDb();
    const id = await scheduledPipeline(
      t.db,
      "hourly",
      { cron: "0 * * * *", ...c.schedule },
      "2026-03-02T06:00:30Z",
    );
    const fired = await fireDueSchedules(t.db, new Date(c.now));
    const expected = c.fired.map((hm) => `2026-03-02T${hm}:00.000Z`);
    assert.deepEqual(iso(fired), expected);
    // Stored oldest first (run ids in occurrence order), nothing more.
    assert.deepEqual(
      (await scheduledRuns(t.db, id)).map((r) => r.scheduled_for),
      expected,
    );
    // The next tick starts where this one stopped: nothing fires twice.
    assert.deepEqual(
      await fireDueSchedules(t.db, new Date(Date.parse(c.now) + 1000)),
      [],
    );
    // Moved to the tick that fired; a tick with nothing due writes nothing.
    const schedule = await getSchedule(t.db, id);
    assert.equal(
      schedule!.evaluated_until.toISOString(),
      c.fired.length
        ? new Date(c.now).toISOString()
        : "2026-03-02T06:00:30.000Z",
    );
  });
}

Deno.test("a pipeline whose schedule is removed, or that is deleted, stops firing", async () => {
  await using t = await testDb();
  const removed = await scheduledPipeline(
    t.db,
    "removed",
    { cron: "*/5 * * * *" },
    "2026-03-02T10:00:30Z",
  );
  const deleted = await scheduledPipeline(
    t.db,
    "deleted",
    { cron: "*/5 * * * *" },
    "2026-03-02T10:00:30Z",
  );
  const fired = await fireDueSchedules(t.db, new Date("2026-03-02T10:05:00Z"));
  assert.deepEqual(fired.map((f) => f.pipelineId).sort(), [removed, deleted]);
  await savePipeline(t.db, definition("removed", undefined));
  assert.equal(await getSchedule(t.db, removed), undefined);
  // A pipeline with pending runs can't be deleted: end them first.
  await t.db.query(
    "update pipeline_run set status = 'CANCELLED' where pipeline_id = $1",
    [deleted],
  );
  await deletePipeline(t.db, deleted);
  assert.deepEqual(
    await fireDueSchedules(t.db, new Date("2026-03-02T10:10:00Z")),
    [],
  );
  assert.equal((await scheduledRuns(t.db, removed)).length, 1);
});

Deno.test("changing the cron expression starts it from now: nothing from before counts as missed", async () => {
  await using t = await testDb();
  const id = await scheduledPipeline(
    t.db,
    "changed",
    { cron: "0 * * * *", catchup: "all" },
    "2020-01-01T00:00:00Z",
  );
  const before = await getSchedule(t.db, id);
  await savePipeline(
    t.db,
    definition("changed", { cron: "0 * * * *", catchup: "latest" }),
  );
  // Same cron and zone: how far it was evaluated is kept.
  assert.equal(
    (await getSchedule(t.db, id))!.evaluated_until.toISOString(),
    before!.evaluated_until.toISOString(),
  );
  await savePipeline(
    t.db,
    definition("changed", { cron: "30 * * * *", catchup: "all" }),
  );
  const after = await getSchedule(t.db, id);
  assert.ok(after!.evaluated_until.getTime() > Date.now() - 60_000);
});

/** Two schedulers' database handles (two connection pools on PostgreSQL). */
async function twoHandles(t: { db: Db; url?: string }): Promise<[Db, Db]> {
  if (TEST_BACKEND === "postgres") {
    return [
      await openPostgresDb(t.url!, { max: 2 }),
      await openPostgresDb(t.url!, { max: 2 }),
    ];
  }
  // PGlite is one session in this process: both schedulers share it.
  return [t.db, t.db];
}

Deno.test("two schedulers ticking at once over several minutes fire each (pipeline, scheduled_for) exactly once", async () => {
  await using t = await testDb();
  const start = Date.parse("2026-05-01T12:00:00Z");
  const ids = [];
  for (
    const [name, catchup] of [["every_a", "all"], ["every_b", "none"], [
      "every_c",
      "latest",
    ]]
  ) {
    ids.push(
      await scheduledPipeline(
        t.db,
        name,
        { cron: "* * * * *", catchup },
        new Date(start).toISOString(),
      ),
    );
  }
  const [one, two] = await twoHandles(t);
  try {
    const fired: FiredRun[] = [];
    for (let minute = 1; minute <= 6; minute++) {
      const tick = start + minute * 60_000;
      // Their clocks and tick times differ by a few hundred milliseconds.
      const results = await Promise.all([
        fireDueSchedules(one, new Date(tick + 150)),
        fireDueSchedules(two, new Date(tick + 420)),
        fireDueSchedules(one, new Date(tick + 900)),
      ]);
      fired.push(...results.flat());
    }
    const expected = Array.from(
      { length: 6 },
      (_, i) => new Date(start + (i + 1) * 60_000).toISOString(),
    );
    for (const id of ids) {
      const runs = await scheduledRuns(t.db, id);
      assert.deepEqual(runs.map((r) => r.scheduled_for), expected);
    }
    // Every run was reported by exactly one of the schedulers.
    assert.equal(fired.length, ids.length * expected.length);
    assert.equal(
      new Set(fired.map((f) => f.runId)).size,
      ids.length * expected.length,
    );
  } finally {
    if (one !== t.db) await one.close();
    if (two !== t.db) await two.close();
  }
});
