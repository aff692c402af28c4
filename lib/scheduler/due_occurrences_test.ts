import assert from "node:assert/strict";
import {
  DEFAULT_CATCHUP_LIMIT,
  dueOccurrences,
  nextOccurrence,
  ON_TIME_MS,
  type ScheduleState,
} from "./due_occurrences.ts";

const at = (text: string) => new Date(text);
const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

function schedule(overrides: Partial<ScheduleState>): ScheduleState {
  return {
    cron: "* * * * *",
    timezone: "UTC",
    catchup: "none",
    catchup_limit: null,
    evaluated_until: at("2026-03-02T10:00:00.500Z"),
    ...overrides,
  };
}

Deno.test("dueOccurrences() includes an occurrence exactly at now and never one at evaluated_until", () => {
  const s = schedule({ evaluated_until: at("2026-03-02T10:00:00Z") });
  assert.deepEqual(iso(dueOccurrences(s, at("2026-03-02T10:01:00Z"))), [
    "2026-03-02T10:01:00.000Z",
  ]);
  assert.deepEqual(dueOccurrences(s, at("2026-03-02T10:00:59.999Z")), []);
  // A clock behind evaluated_until (another scheduler's) fires nothing.
  assert.deepEqual(dueOccurrences(s, at("2026-03-02T09:59:00Z")), []);
});

Deno.test("dueOccurrences() none: a late tick within ON_TIME_MS still fires; a later one does not", () => {
  const s = schedule({ evaluated_until: at("2026-03-02T09:00:00Z") });
  const late = new Date(Date.parse("2026-03-02T10:00:00Z") + ON_TIME_MS - 1);
  assert.ok(
    iso(dueOccurrences(s, late)).includes("2026-03-02T10:00:00.000Z"),
  );
  const hourly = schedule({
    cron: "0 * * * *",
    evaluated_until: at("2026-03-02T09:00:00Z"),
  });
  const tooLate = new Date(Date.parse("2026-03-02T10:00:00Z") + ON_TIME_MS);
  assert.deepEqual(dueOccurrences(hourly, tooLate), []);
});

Deno.test("dueOccurrences() with a seconds field fires each second's occurrence in the window", () => {
  const s = schedule({
    cron: "*/10 * * * * *",
    evaluated_until: at("2026-03-02T10:00:00Z"),
  });
  assert.deepEqual(iso(dueOccurrences(s, at("2026-03-02T10:00:35Z"))), [
    "2026-03-02T10:00:10.000Z",
    "2026-03-02T10:00:20.000Z",
    "2026-03-02T10:00:30.000Z",
  ]);
});

Deno.test("dueOccurrences() all without a limit stops at DEFAULT_CATCHUP_LIMIT, the most recent ones", () => {
  const s = schedule({
    catchup: "all",
    evaluated_until: at("2026-01-01T00:00:00Z"),
  });
  const due = dueOccurrences(s, at("2026-03-02T10:00:00Z"));
  assert.equal(due.length, DEFAULT_CATCHUP_LIMIT);
  assert.equal(due.at(-1)!.toISOString(), "2026-03-02T10:00:00.000Z");
  assert.ok(due[0] < due[1], "oldest first");
});

Deno.test("dueOccurrences() follows the time zone across a summer-time change", () => {
  // Paris moves to UTC+2 on 29 March 2026: 02:30 daily is 01:30 UTC before, 00:30 after.
  const s = schedule({
    cron: "30 2 * * *",
    timezone: "Europe/Paris",
    catchup: "all",
    evaluated_until: at("2026-03-27T00:00:00Z"),
  });
  assert.deepEqual(iso(dueOccurrences(s, at("2026-03-31T00:40:00Z"))), [
    "2026-03-27T01:30:00.000Z",
    "2026-03-28T01:30:00.000Z",
    // 02:30 does not exist on the 29th: croner runs it at 03:00 (01:00 UTC).
    "2026-03-29T01:00:00.000Z",
    "2026-03-30T00:30:00.000Z",
    "2026-03-31T00:30:00.000Z",
  ]);
  assert.equal(
    nextOccurrence(s, at("2026-03-31T00:40:00Z"))!.toISOString(),
    "2026-04-01T00:30:00.000Z",
  );
});
