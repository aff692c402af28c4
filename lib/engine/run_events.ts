// Every change to a run or its tasks is announced on one NOTIFY channel, so
// live views (SSE) refresh at once on any process of the fleet.

import type { Db, Queryable } from "../db/db.ts";

/** The NOTIFY channel carrying run ids whose state changed. */
export const RUNS_CHANNEL = "etl_runs";

/** Announces that run `runId` changed; inside a transaction it fires at commit. */
export async function announceRun(tx: Queryable, runId: number): Promise<void> {
  await tx.query("select pg_notify($1, $2)", [RUNS_CHANNEL, String(runId)]);
}

/**
 * One LISTEN per process, fanned out to every live view: a hundred open run
 * pages cost one database listener, not a hundred.
 */
export class RunEventHub {
  #db: Db;
  #subscribers = new Map<number, Set<() => void>>();
  #unlisten?: Promise<() => Promise<void>>;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Calls `onChange` whenever run `runId` changes; returns an unsubscriber. */
  async subscribe(runId: number, onChange: () => void): Promise<() => void> {
    this.#unlisten ??= this.#db.listen(RUNS_CHANNEL, (payload) => {
      for (const fn of this.#subscribers.get(Number(payload)) ?? []) fn();
    });
    await this.#unlisten;
    let set = this.#subscribers.get(runId);
    if (!set) this.#subscribers.set(runId, set = new Set());
    set.add(onChange);
    return () => {
      set.delete(onChange);
      if (set.size === 0) this.#subscribers.delete(runId);
    };
  }

  /** Stops listening. */
  async close(): Promise<void> {
    const unlisten = await this.#unlisten;
    this.#unlisten = undefined;
    await unlisten?.();
  }
}
