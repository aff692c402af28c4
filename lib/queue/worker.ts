// A worker loop: claims jobs in batches (optionally ahead, into a local
// queue), runs them with bounded concurrency, keeps their leases alive,
// aborts the ones asked to stop, and sleeps until NOTIFY (or a poll) wakes it.

import type { Db } from "../db/db.ts";
import { log } from "../log/logger.ts";
import { CompletionBuffer } from "./completion_buffer.ts";
import {
  claimJobs,
  type ExpiredJob,
  extendLeases,
  failJob,
  type Job,
  JOBS_CHANNEL,
  LEASE_EXPIRED,
  reapExpiredJobs,
  releaseJob,
  releaseJobs,
  retryDelayMs,
  retryJob,
} from "./job.ts";

/**
 * Runs one job. It must finish the job row itself (complete, retry or fail),
 * unless its queue is in {@linkcode WorkerOptions.workerCompletes}.
 */
export type JobHandler = (job: Job, signal: AbortSignal) => Promise<void>;

/** The abort reason of a job's signal when the job was asked to stop. */
export class JobCancelledError extends Error {
  constructor() {
    super("cancelled");
    this.name = "JobCancelledError";
  }
}

/**
 * How a worker learns that running jobs were asked to stop: a NOTIFY on
 * `channel` (any payload) or its lease heartbeat — the fallback when a
 * notification was missed — makes it ask `find`, and it aborts the signals
 * of the jobs found with a {@linkcode JobCancelledError}.
 */
export interface JobCancels {
  channel: string;
  /** The ids, among `jobs` (running here), that must stop. */
  find(jobs: Job[]): Promise<number[]>;
}

/** Options for {@linkcode Worker}. */
export interface WorkerOptions {
  handlers: Record<string, JobHandler>;
  /** Jobs run at once by this worker (default 4). */
  concurrency?: number;
  leaseSeconds?: number;
  /** Poll even without NOTIFY, in case a notification was missed (default 2000). */
  pollMs?: number;
  workerId?: string;
  /**
   * Called for each job whose lease ran out with no attempts left; it must
   * fail the job (`failJob`) in the transaction that records why. Without
   * it, the worker fails the job itself.
   */
  onAbandoned?: (job: ExpiredJob, reason: string) => Promise<void>;
  /** Lets running jobs be stopped on request (see {@linkcode JobCancels}). */
  cancels?: JobCancels;
  /**
   * Jobs claimed beyond `concurrency` and held (leased) in a local queue, so
   * a finished job's slot is refilled without a round trip (default 0). Held
   * jobs wait for this worker even when another one is idle: for many short
   * jobs, not for long ones.
   */
  prefetch?: number;
  /**
   * Queues whose handlers only do the work: when one resolves, the worker
   * marks its job done, batched with others (see {@linkcode CompletionBuffer});
   * when it throws, the job is retried after a backoff or failed. Handlers of
   * the other queues finish their job row themselves, e.g. in the transaction
   * that records their result.
   */
  workerCompletes?: string[];
}

interface RunningJob {
  job: Job;
  controller: AbortController;
  done: Promise<void>;
}

/** Claims and runs jobs until stopped. */
export class Worker {
  readonly id: string;
  #db: Db;
  #options: Required<
    Omit<
      WorkerOptions,
      "workerId" | "onAbandoned" | "cancels" | "workerCompletes"
    >
  >;
  #onAbandoned?: (job: ExpiredJob, reason: string) => Promise<void>;
  #cancels?: JobCancels;
  #workerCompletes: Set<string>;
  #completions: CompletionBuffer;
  #running = new Map<number, RunningJob>();
  /** Claimed, leased, not started yet (see {@linkcode WorkerOptions.prefetch}). */
  #held: Job[] = [];
  #stopped = false;
  #wake?: () => void;
  /** A wake-up that came while the loop was busy claiming. */
  #woken = false;
  #loop?: Promise<void>;
  #unlisten: (() => Promise<void>)[] = [];
  #timers: ReturnType<typeof setInterval>[] = [];

  constructor(db: Db, options: WorkerOptions) {
    this.#db = db;
    this.id = options.workerId ??
      `${Deno.hostname()}:${Deno.pid}:${crypto.randomUUID().slice(0, 8)}`;
    this.#options = {
      handlers: options.handlers,
      concurrency: options.concurrency ?? 4,
      leaseSeconds: options.leaseSeconds ?? 30,
      pollMs: options.pollMs ?? 2000,
      prefetch: options.prefetch ?? 0,
    };
    this.#onAbandoned = options.onAbandoned;
    this.#cancels = options.cancels;
    this.#workerCompletes = new Set(options.workerCompletes ?? []);
    this.#completions = new CompletionBuffer(db, { workerId: this.id });
  }

  /** Starts the loop, the heartbeat and the reaper. */
  async start(): Promise<void> {
    this.#unlisten.push(
      await this.#db.listen(JOBS_CHANNEL, () => this.#signal()),
    );
    if (this.#cancels) {
      this.#unlisten.push(
        await this.#db.listen(
          this.#cancels.channel,
          () => this.#abortCancelled(),
        ),
      );
    }
    const heartbeatMs = (this.#options.leaseSeconds * 1000) / 3;
    this.#timers.push(setInterval(() => this.#heartbeat(), heartbeatMs));
    this.#timers.push(setInterval(() => this.#reap(), heartbeatMs));
    this.#loop = this.#run();
  }

  /**
   * Stops claiming, gives back held jobs, waits for running ones and their
   * completions, and releases the listener.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#signal();
    for (const timer of this.#timers) clearInterval(timer);
    await this.#loop;
    const held = this.#held.splice(0).map((job) => job.id);
    await releaseJobs(this.#db, this.id, held).catch((error) =>
      log.warn("cannot release held jobs; their leases will expire", {
        error,
        worker: this.id,
      })
    );
    await Promise.allSettled([...this.#running.values()].map((r) => r.done));
    await this.#completions.settle();
    for (const unlisten of this.#unlisten) await unlisten();
  }

  async #run() {
    const queues = Object.keys(this.#options.handlers);
    const { concurrency, prefetch } = this.#options;
    while (!this.#stopped) {
      this.#startHeld();
      const free = concurrency + prefetch - this.#running.size -
        this.#held.length;
      // With a local queue, claim again once it runs below one round of jobs,
      // so the next batch arrives while this one still runs.
      const low = this.#held.length < Math.max(1, concurrency) &&
        this.#running.size + this.#held.length < concurrency + prefetch;
      let jobs: Job[] = [];
      if (free > 0 && low) {
        this.#woken = false;
        try {
          jobs = await claimJobs(this.#db, {
            queues,
            workerId: this.id,
            limit: free,
            leaseSeconds: this.#options.leaseSeconds,
          });
        } catch (error) {
          log.warn("cannot claim jobs, will retry", { error, worker: this.id });
        }
      }
      if (this.#stopped) {
        this.#held.push(...jobs);
        break;
      }
      this.#held.push(...jobs);
      this.#startHeld();
      if (jobs.length === free && free > 0) continue;
      if (this.#woken) {
        this.#woken = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#options.pollMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** Wakes the loop, or tells it not to sleep when it is busy. */
  #signal() {
    if (this.#wake) this.#wake();
    else this.#woken = true;
  }

  /** Moves held jobs into free slots. */
  #startHeld() {
    while (
      this.#held.length > 0 && this.#running.size < this.#options.concurrency
    ) {
      this.#startJob(this.#held.shift()!);
    }
  }

  #startJob(job: Job) {
    const handler = this.#options.handlers[job.queue];
    const controller = new AbortController();
    const settled = this.#workerCompletes.has(job.queue)
      ? this.#runCompleted(job, handler, controller.signal)
      : handler(job, controller.signal).catch(async (error) => {
        // The handler records its own outcome; when it could not (the
        // database went away mid-way), failing the job here would leave its
        // work (a TaskRun) unfinished with no job left to finish it. The job
        // goes back to the queue instead, or, with no attempts left, to the
        // reaper when its lease runs out, as a dead worker's would.
        log.error("job handler failed", { job_id: job.id, error });
        const reason = `the worker could not record the outcome: ${
          String(error?.message ?? error)
        }`;
        await releaseJob(this.#db, job, this.id, reason).catch(() => false);
      });
    const done = settled.finally(() => {
      this.#running.delete(job.id);
      // Refill the slot from the local queue at once; the loop claims more.
      this.#startHeld();
      this.#signal();
    });
    this.#running.set(job.id, { job, controller, done });
  }

  /** Runs a handler whose job the worker finishes (see `workerCompletes`). */
  async #runCompleted(job: Job, handler: JobHandler, signal: AbortSignal) {
    try {
      await handler(job, signal);
    } catch (error) {
      const reason = String((error as Error)?.message ?? error);
      try {
        if (job.attempts < job.max_attempts) {
          await retryJob(this.#db, job.id, reason, retryDelayMs(job.attempts));
        } else {
          await failJob(this.#db, job.id, reason);
        }
      } catch (recordError) {
        // Its lease runs out and the reaper re-queues it.
        log.warn("cannot record a failed job", {
          job_id: job.id,
          error: recordError,
        });
      }
      return;
    }
    // The slot frees now; the job is marked done with the next flush.
    this.#completions.complete(job.id).catch((error) =>
      log.warn("cannot mark a job done; it will run again", {
        job_id: job.id,
        error,
      })
    );
  }

  /** Aborts the running jobs that were asked to stop. */
  async #abortCancelled() {
    if (!this.#cancels) return;
    const live = [...this.#running.values()].filter((r) =>
      !r.controller.signal.aborted
    );
    if (live.length === 0) return;
    try {
      const ids = await this.#cancels.find(live.map((r) => r.job));
      for (const id of ids) {
        this.#running.get(id)?.controller.abort(new JobCancelledError());
      }
    } catch (error) {
      log.warn("cannot check for cancelled jobs", { error, worker: this.id });
    }
  }

  async #heartbeat() {
    try {
      await extendLeases(
        this.#db,
        this.id,
        [
          ...this.#running.keys(),
          ...this.#held.map((job) => job.id),
          ...this.#completions.pendingIds,
        ],
        this.#options.leaseSeconds,
      );
    } catch (error) {
      log.warn("cannot extend job leases", { error, worker: this.id });
    }
    await this.#abortCancelled();
  }

  async #reap() {
    try {
      const expired = await reapExpiredJobs(
        this.#db,
        this.id,
        this.#options.leaseSeconds,
      );
      for (const job of expired) {
        log.warn("re-queued a job whose worker stopped responding", {
          job_id: job.id,
          failed: job.failed,
        });
        if (!job.failed) continue;
        // If this fails too, the job's lease runs out again and a reaper retries.
        if (this.#onAbandoned) await this.#onAbandoned(job, LEASE_EXPIRED);
        else await failJob(this.#db, job.id, LEASE_EXPIRED);
      }
      if (expired.length > 0) this.#signal();
    } catch (error) {
      log.warn("cannot reap expired jobs", { error });
    }
  }
}
