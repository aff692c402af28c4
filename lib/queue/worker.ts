// A worker loop: claims jobs in batches, runs them with bounded concurrency,
// keeps their leases alive, aborts the ones asked to stop, and sleeps until
// NOTIFY (or a poll) wakes it.

import type { Db } from "../db/db.ts";
import { log } from "../log/logger.ts";
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
} from "./job.ts";

/** Runs one job; it must finish the job row itself (complete, retry or fail). */
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
    Omit<WorkerOptions, "workerId" | "onAbandoned" | "cancels">
  >;
  #onAbandoned?: (job: ExpiredJob, reason: string) => Promise<void>;
  #cancels?: JobCancels;
  #running = new Map<number, RunningJob>();
  #stopped = false;
  #wake?: () => void;
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
    };
    this.#onAbandoned = options.onAbandoned;
    this.#cancels = options.cancels;
  }

  /** Starts the loop, the heartbeat and the reaper. */
  async start(): Promise<void> {
    this.#unlisten.push(
      await this.#db.listen(JOBS_CHANNEL, () => this.#wake?.()),
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

  /** Stops claiming, waits for running jobs, and releases the listener. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    for (const timer of this.#timers) clearInterval(timer);
    await this.#loop;
    await Promise.allSettled([...this.#running.values()].map((r) => r.done));
    for (const unlisten of this.#unlisten) await unlisten();
  }

  async #run() {
    const queues = Object.keys(this.#options.handlers);
    while (!this.#stopped) {
      const free = this.#options.concurrency - this.#running.size;
      let jobs: Job[] = [];
      if (free > 0) {
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
      for (const job of jobs) this.#startJob(job);
      if (jobs.length === free && free > 0) continue;
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

  #startJob(job: Job) {
    const handler = this.#options.handlers[job.queue];
    const controller = new AbortController();
    const done = handler(job, controller.signal).catch(async (error) => {
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
    }).finally(() => {
      this.#running.delete(job.id);
      this.#wake?.();
    });
    this.#running.set(job.id, { job, controller, done });
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
        [...this.#running.keys()],
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
      if (expired.length > 0) this.#wake?.();
    } catch (error) {
      log.warn("cannot reap expired jobs", { error });
    }
  }
}
