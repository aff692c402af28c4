// A test hook for the crash tests: `ETL_CRASH_AT=<point>` makes a worker
// process kill itself (SIGKILL, as `kill -9` would) when it reaches that point,
// to hit windows too narrow to aim at from outside, such as between a load's
// commit and the transaction that records it. Unset in production.

const CRASH_AT = readCrashAt();

function readCrashAt(): string | undefined {
  try {
    return Deno.env.get("ETL_CRASH_AT") || undefined;
  } catch {
    return undefined; // no env permission: no hook
  }
}

/** Where a worker can be made to crash. */
export type CrashPoint = "after-load-commit";

/** Kills this process at `point` when ETL_CRASH_AT names it; otherwise nothing. */
export async function crashPoint(point: CrashPoint): Promise<void> {
  if (CRASH_AT !== point) return;
  console.error(`ETL_CRASH_AT=${point}: killing process ${Deno.pid}`);
  Deno.kill(Deno.pid, "SIGKILL");
  // The signal lands at once; never let the caller go on meanwhile.
  await new Promise(() => {});
}
