// Which occurrences of a cron schedule a tick fires, by its catch-up policy:
// a pure function of the schedule, how far it was evaluated, and the clock.

import { Cron } from "croner";
import type { ScheduleRow } from "./schedule_store.ts";

/**
 * How late an occurrence may be seen and still count as on time (not
 * missed): a tick a minute, plus slack for a late or skipped tick.
 */
export const ON_TIME_MS = 90_000;
/** With catchup "all" and no catchup_limit: at most this many missed runs. */
export const DEFAULT_CATCHUP_LIMIT = 100;
// A seconds-level expression ("*/5 * * * * *") has many occurrences a tick.
const MAX_ON_TIME = 100;

/** What {@linkcode dueOccurrences} reads of a schedule. */
export type ScheduleState = Pick<
  ScheduleRow,
  "cron" | "timezone" | "catchup" | "catchup_limit" | "evaluated_until"
>;

/**
 * The occurrences in (`evaluated_until`, `now`] to fire, oldest first:
 * - `none`: only those on time (at most {@linkcode ON_TIME_MS} old); the
 *   ones missed while no scheduler ran are skipped;
 * - `latest`: the most recent one;
 * - `all`: each of them, at most `catchup_limit` (the most recent ones).
 */
export function dueOccurrences(schedule: ScheduleState, now: Date): Date[] {
  const after = schedule.evaluated_until.getTime();
  if (now.getTime() <= after) return [];
  const cron = new Cron(schedule.cron, {
    paused: true,
    timezone: schedule.timezone,
  });
  // previousRuns excludes an occurrence exactly at its reference.
  const reference = new Date(now.getTime() + 1);
  const since = (count: number, from: number) =>
    cron.previousRuns(count, reference)
      .filter((at) => at.getTime() > from)
      .reverse();
  switch (schedule.catchup) {
    case "none":
      return since(MAX_ON_TIME, Math.max(after, now.getTime() - ON_TIME_MS));
    case "latest":
      return since(1, after);
    case "all":
      return since(schedule.catchup_limit ?? DEFAULT_CATCHUP_LIMIT, after);
  }
}

/** The next occurrence after `from`, or null (for the pipeline page). */
export function nextOccurrence(
  schedule: Pick<ScheduleRow, "cron" | "timezone">,
  from: Date,
): Date | null {
  return new Cron(schedule.cron, { paused: true, timezone: schedule.timezone })
    .nextRun(from);
}
