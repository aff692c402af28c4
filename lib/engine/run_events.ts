// Every change to a run or its tasks is announced on one NOTIFY channel, so
// live views (SSE) refresh at once on any process of the fleet.

import type { Queryable } from "../db/db.ts";

/** The NOTIFY channel carrying run ids whose state changed. */
export const RUNS_CHANNEL = "etl_runs";

/** Announces that run `runId` changed; inside a transaction it fires at commit. */
export async function announceRun(tx: Queryable, runId: number): Promise<void> {
  await tx.query("select pg_notify($1, $2)", [RUNS_CHANNEL, String(runId)]);
}
