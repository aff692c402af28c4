// Group commit for job completions: jobs finished while one flush is in flight
// are marked done together by the next, so a busy worker pays one statement
// per batch instead of one per job, and an idle one waits no timer.

import type { Queryable } from "../db/db.ts";
import { completeJobs } from "./job.ts";

/** Options for {@linkcode CompletionBuffer}. */
export interface CompletionBufferOptions {
  workerId: string;
  /** Most ids marked done by one statement (default 1000). */
  maxBatch?: number;
}

interface Waiter {
  id: number;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Collects finished job ids and marks them done with
 * {@linkcode completeJobs}, one statement per batch. A job lost before its
 * flush (the process died) keeps its lease and is re-run after it expires:
 * at-least-once, as before.
 */
export class CompletionBuffer {
  #db: Queryable;
  #workerId: string;
  #maxBatch: number;
  #waiting: Waiter[] = [];
  #flushing?: Promise<void>;

  constructor(db: Queryable, options: CompletionBufferOptions) {
    this.#db = db;
    this.#workerId = options.workerId;
    this.#maxBatch = options.maxBatch ?? 1000;
  }

  /** Ids waiting for their flush; their leases must still be renewed. */
  get pendingIds(): number[] {
    return this.#waiting.map((w) => w.id);
  }

  /** Resolves once job `id` is marked done (or rejects if the statement failed). */
  complete(id: number): Promise<void> {
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#waiting.push({ id, resolve, reject });
    // A microtask later, so jobs finishing in the same turn share the flush.
    this.#flushing ??= Promise.resolve().then(() => this.#drain());
    return promise;
  }

  /** Resolves when every id handed in so far is flushed. */
  async settle(): Promise<void> {
    while (this.#flushing) await this.#flushing.catch(() => {});
  }

  async #drain(): Promise<void> {
    while (this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, this.#maxBatch);
      try {
        await completeJobs(this.#db, this.#workerId, batch.map((w) => w.id));
        for (const waiter of batch) waiter.resolve();
      } catch (error) {
        for (const waiter of batch) waiter.reject(error);
      }
    }
    this.#flushing = undefined;
  }
}
