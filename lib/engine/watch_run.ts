// The live view of one run as an async stream of snapshots: a new one after
// each change announced on the hub (polling as a fallback), ending after the
// run reaches a final state or when the client goes away.

import type { Queryable } from "../db/db.ts";
import type { RunEventHub } from "./run_events.ts";
import { getRunView, type RunView } from "./run_view.ts";

const FINAL = ["SUCCESS", "FAILURE", "CANCELLED"];
const POLL_MS = 2000;

/** Yields the run now, then after every change, until it ends or `signal` aborts. */
export async function* watchRun(
  db: Queryable,
  hub: RunEventHub,
  runId: number,
  signal: AbortSignal,
): AsyncGenerator<RunView> {
  let wake: (() => void) | undefined;
  let dirty = true;
  const unsubscribe = await hub.subscribe(runId, () => {
    dirty = true;
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener("abort", onAbort);
  try {
    let last = "";
    while (!signal.aborted) {
      if (!dirty) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, POLL_MS);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
      dirty = false;
      if (signal.aborted) break;
      const run = await getRunView(db, runId);
      if (!run) return;
      const json = JSON.stringify({
        ...run,
        duration_ms: null,
        tasks: run.tasks.map((t) => ({ ...t, duration_ms: null })),
      });
      if (json !== last) {
        last = json;
        yield run;
      }
      if (FINAL.includes(run.status)) return;
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    unsubscribe();
  }
}
