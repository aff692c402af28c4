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
  const from = schedule.catchup === "none"
    ? Math.max(after, now.getTime() - ON_TIME_MS)
    : after;
  if (now.getTime() <= from) return [];
  const cron = new Cron(schedule.cron, {
    paused: true,
    timezone: schedule.timezone,
  });
  // The common case, every tick of every schedule: nothing due. One step.
  const first = cron.nextRun(new Date(from));
  if (!first || first.getTime() > now.getTime()) return [];
  if (schedule.catchup === "none") {
    const due = [first];
    for (
      let at = cron.nextRun(first);
      due.length < MAX_ON_TIME;
      at = cron.nextRun(at)
    ) {
      if (!at || at.getTime() > now.getTime()) break;
      due.push(at);
    }
    return due;
  }
  // Backwards from now: bounded by the limit however long the downtime.
  // previousRuns excludes an occurrence exactly at its reference.
  const count = schedule.catchup === "latest"
    ? 1
    : schedule.catchup_limit ?? DEFAULT_CATCHUP_LIMIT;
  return cron.previousRuns(count, new Date(now.getTime() + 1))
    .filter((at) => at.getTime() > after)
    .reverse();
}

/** The next occurrence after `from`, or null (for the pipeline page). */
export function nextOccurrence(
  schedule: Pick<ScheduleRow, "cron" | "timezone">,
  from: Date,
): Date | null {
  return new Cron(schedule.cron, { paused: true, timezone: schedule.timezone })
    .nextRun(from);
}
