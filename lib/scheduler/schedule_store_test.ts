import assert from "node:assert/strict";
import { loadMigrations, migrate } from "../db/migrate.ts";
import { openPgliteDb } from "../db/pglite_db.ts";
import { openPostgresDb } from "../db/postgres_db.ts";
import { createScratchDatabase, TEST_BACKEND } from "../db/test_db.ts";
import type { Db } from "../db/db.ts";
import { getSchedule } from "./schedule_store.ts";

/** An empty database of the backend under test (not migrated). */
async function emptyDb(): Promise<{ db: Db; drop(): Promise<void> }> {
  if (TEST_BACKEND === "pglite") {
    const db = await openPgliteDb();
    return { db, drop: () => db.close() };
  }
  const scratch = await createScratchDatabase();
  const db = await openPostgresDb(scratch.url, { max: 2 });
  return {
    db,
    async drop() {
      await db.close();
      await scratch.drop();
    },
  };
}

Deno.test("migration 0006 gives pipelines saved with a schedule before it their schedule row, starting now", async () => {
  const { db, drop } = await emptyDb();
  try {
    const all = await loadMigrations();
    const before = all.filter((m) => m.name < "0006");
    assert.ok(before.length < all.length);
    await migrate(db, before);
    const definition = {
      name: "old_nightly",
      schedule: {
        cron: "0 3 * * *",
        timezone: "Europe/Berlin",
        catchup: "all",
        catchup_limit: 5,
      },
      steps: [],
    };
    for (
      const [name, def] of [["old_nightly", definition], ["old_manual", {
        name: "old_manual",
        steps: [],
      }]] as const
    ) {
      const [p] = await db.query<{ id: number }>(
        "insert into pipeline (name) values ($1) returning id",
        [name],
      );
      await db.query(
        `insert into pipeline_version (pipeline_id, version, definition)
         values ($1, 1, $2::text::jsonb)`,
        [p.id, JSON.stringify(def)],
      );
    }
    const started = Date.now();
    assert.deepEqual(
      (await migrate(db, all)).filter((name) => name.startsWith("0006")),
      ["0006_schedules.sql"],
    );
    const rows = await db.query<{ pipeline_id: number; name: string }>(
      "select s.pipeline_id, p.name from schedule s join pipeline p on p.id = s.pipeline_id",
    );
    assert.deepEqual(rows.map((r) => r.name), ["old_nightly"]);
    const schedule = await getSchedule(db, Number(rows[0].pipeline_id));
    assert.deepEqual(
      {
        ...schedule,
        pipeline_id: undefined,
        evaluated_until: undefined,
      },
      {
        pipeline_id: undefined,
        cron: "0 3 * * *",
        timezone: "Europe/Berlin",
        catchup: "all",
        catchup_limit: 5,
        evaluated_until: undefined,
      },
    );
    assert.ok(schedule!.evaluated_until.getTime() >= started - 60_000);
  } finally {
    await drop();
  }
});
