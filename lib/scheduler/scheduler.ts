// The scheduler's heartbeat: one Deno.cron tick a minute (or a timer of
// ETL_SCHEDULER_TICK_SECONDS), recorded in the database, that fires the
// pipeline schedules due (fire_schedules.ts).

import type { Db } from "../db/db.ts";
import { log } from "../log/logger.ts";
import { fireDueSchedules } from "./fire_schedules.ts";

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

/** Options for {@linkcode startScheduler}. */
export interface SchedulerOptions {
  /**
   * Tick every this many seconds with a timer instead of Deno.cron's
   * minute (for cron expressions with a seconds field, and tests).
   */
  tickSeconds?: number;
}

/** Starts ticking; returns a function that stops it. */
export function startScheduler(
  db: Db,
  node: string,
  options: SchedulerOptions = {},
): () => void {
  let busy = false;
  const tick = async () => {
    // A slow tick (a busy database) is not run twice at once.
    if (busy) return;
    busy = true;
    try {
      const id = await recordSchedulerTick(db, node);
      const fired = await fireDueSchedules(db, new Date());
      log.debug("scheduler tick", { tick_id: id, node, fired: fired.length });
    } catch (error) {
      log.warn("scheduler tick failed", { error, node });
    } finally {
      busy = false;
    }
  };
  if (options.tickSeconds) {
    const timer = setInterval(tick, options.tickSeconds * 1000);
    return () => clearInterval(timer);
  }
  const stop = new AbortController();
  Deno.cron("etl scheduler tick", "* * * * *", { signal: stop.signal }, tick);
  return () => stop.abort();
}
