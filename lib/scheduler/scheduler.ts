// The scheduler's heartbeat: one Deno.cron tick a minute, recorded in the
// database. Evaluating pipeline schedules on each tick (with a unique
// (pipeline, scheduled_for) key so several schedulers never double-fire)
// comes with the execution engine; this is where it will plug in.

import type { Db } from "../db/db.ts";
import { log } from "../log/logger.ts";

/** Records one tick of this scheduler node; returns the tick id. */
export async function recordSchedulerTick(
  db: Db,
  node: string,
): Promise<number> {
  const [row] = await db.query<{ id: number }>(
    "insert into scheduler_tick (node) values ($1) returning id",
    [node],
  );
  return row.id;
}

/** Registers the minute tick with Deno.cron. */
export function startScheduler(db: Db, node: string): void {
  Deno.cron("etl scheduler tick", "* * * * *", async () => {
    try {
      const id = await recordSchedulerTick(db, node);
      log.debug("scheduler tick", { tick_id: id, node });
    } catch (error) {
      log.warn("scheduler tick failed", { error, node });
    }
  });
}
