// The job table as a queue: enqueue, claim with FOR UPDATE SKIP LOCKED under
// a lease, finish, and re-queue the jobs of workers that died.

import type { Queryable } from "../db/db.ts";

/** The NOTIFY channel that wakes idle workers. */
export const JOBS_CHANNEL = "etl_jobs";

/** A claimed job. */
export interface Job<P = Record<string, unknown>> {
  id: number;
  queue: string;
  payload: P;
  attempts: number;
  max_attempts: number;
}

/** Options for {@linkcode enqueueJob}. */
export interface EnqueueOptions {
  priority?: number;
  /** Not before this time (backoff). */
  runAfter?: Date;
  maxAttempts?: number;
}

/** Adds a job; call inside the transaction that makes it due. */
export async function enqueueJob(
  tx: Queryable,
  queue: string,
  payload: Record<string, unknown>,
  options: EnqueueOptions = {},
): Promise<number> {
  // One statement, one round trip. The NOTIFY is delivered at commit, so a
  // woken worker finds the row.
  const [row] = await tx.query<{ id: number }>(
    `with added as (
       insert into job (queue, payload, priority, run_after, max_attempts)
       values ($1, $2::text::jsonb, $3, coalesce($4::timestamptz, now()), $5)
       returning id)
     select id, pg_notify($6, $1) from added`,
    [
      queue,
      JSON.stringify(payload),
      options.priority ?? 0,
      options.runAfter?.toISOString() ?? null,
      options.maxAttempts ?? 3,
      JOBS_CHANNEL,
    ],
  );
  return Number(row.id);
}

/** Adds many jobs to `queue` with one statement and one NOTIFY; returns their ids. */
export async function enqueueJobs(
  tx: Queryable,
  queue: string,
  payloads: Record<string, unknown>[],
  options: EnqueueOptions = {},
): Promise<number[]> {
  if (payloads.length === 0) return [];
  const rows = await tx.query<{ id: number }>(
    `insert into job (queue, payload, priority, run_after, max_attempts)
     select $1, p::jsonb, $3, coalesce($4::timestamptz, now()), $5
     from unnest($2::text[]) with ordinality as u(p, n)
     order by n
     returning id`,
    [
      queue,
      payloads.map((payload) => JSON.stringify(payload)),
      options.priority ?? 0,
      options.runAfter?.toISOString() ?? null,
      options.maxAttempts ?? 3,
    ],
  );
  await tx.query("select pg_notify($1, $2)", [JOBS_CHANNEL, queue]);
  return rows.map((row) => Number(row.id));
}

/** Options for {@linkcode claimJobs}. */
export interface ClaimOptions {
  queues: string[];
  workerId: string;
  limit: number;
  leaseSeconds: number;
}

/**
 * Claims up to `limit` due jobs in one statement. SKIP LOCKED lets many
 * workers claim at once without waiting on or double-taking each other's rows.
 */
export async function claimJobs(
  db: Queryable,
  options: ClaimOptions,
): Promise<Job[]> {
  return await db.query<Job>(
    `update job set status = 'running', attempts = attempts + 1,
       locked_by = $1, locked_until = now() + $2 * interval '1 second',
       updated_at = now()
     where id in (
       select id from job
       where status = 'queued' and queue = any($3::text[]) and run_after <= now()
       order by priority desc, run_after, id
       limit $4
       for update skip locked)
     returning id, queue, payload, attempts, max_attempts`,
    [options.workerId, options.leaseSeconds, options.queues, options.limit],
  );
}

/** Extends the leases of jobs this worker still runs; returns the ids still held. */
export async function extendLeases(
  db: Queryable,
  workerId: string,
  ids: number[],
  leaseSeconds: number,
): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await db.query<{ id: number }>(
    `update job set locked_until = now() + $1 * interval '1 second'
     where id = any($2::bigint[]) and locked_by = $3 and status = 'running'
     returning id`,
    [leaseSeconds, ids, workerId],
  );
  return rows.map((row) => row.id);
}

/** Marks a job done; call in the transaction that records its result. */
export async function completeJob(tx: Queryable, id: number): Promise<void> {
  await tx.query(
    `update job set status = 'done', locked_by = null, locked_until = null,
       updated_at = now() where id = $1`,
    [id],
  );
}

/**
 * Marks the jobs that worker `workerId` still holds done, in one statement;
 * returns the ids it marked. A job whose lease ran out and was taken by
 * another worker is left alone: that worker finishes it.
 */
export async function completeJobs(
  db: Queryable,
  workerId: string,
  ids: number[],
): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await db.query<{ id: number }>(
    `update job set status = 'done', locked_by = null, locked_until = null,
       updated_at = now()
     where id = any($1::bigint[]) and locked_by = $2 and status = 'running'
     returning id`,
    [ids, workerId],
  );
  return rows.map((row) => Number(row.id));
}

/**
 * Puts claimed jobs that never started back in the queue (a stopping worker's
 * local queue), without spending one of their attempts.
 */
export async function releaseJobs(
  db: Queryable,
  workerId: string,
  ids: number[],
): Promise<void> {
  if (ids.length === 0) return;
  await db.query(
    `update job set status = 'queued', attempts = greatest(attempts - 1, 0),
       locked_by = null, locked_until = null, updated_at = now()
     where id = any($1::bigint[]) and locked_by = $2 and status = 'running'`,
    [ids, workerId],
  );
}

/** Marks a job failed for good with its reason. */
export async function failJob(
  tx: Queryable,
  id: number,
  reason: string,
): Promise<void> {
  await tx.query(
    `update job set status = 'failed', last_error = $2, locked_by = null,
       locked_until = null, updated_at = now() where id = $1`,
    [id, reason],
  );
}

/** Marks a job cancelled (its work was stopped on request); it is never run again. */
export async function cancelJob(
  tx: Queryable,
  id: number,
  reason: string,
): Promise<void> {
  await tx.query(
    `update job set status = 'cancelled', last_error = $2, locked_by = null,
       locked_until = null, updated_at = now() where id = $1`,
    [id, reason],
  );
}

/**
 * Cancels the queued (not yet claimed) jobs of `queue` whose payload holds
 * one of `values` under `key`, so no worker starts them.
 */
export async function cancelQueuedJobs(
  tx: Queryable,
  queue: string,
  key: string,
  values: number[],
  reason: string,
): Promise<void> {
  if (values.length === 0) return;
  await tx.query(
    `update job set status = 'cancelled', last_error = $4, updated_at = now()
     where status = 'queued' and queue = $1
       and (payload ->> $2)::bigint = any($3::bigint[])`,
    [queue, key, values, reason],
  );
}

// Retry backoff: 1 s, 2 s, 4 s… capped at 5 minutes.
const BACKOFF_BASE_MS = 1000;
const BACKOFF_MAX_MS = 5 * 60_000;

/** How long a job waits before attempt `attempts + 1` (exponential backoff). */
export function retryDelayMs(attempts: number): number {
  return Math.min(BACKOFF_BASE_MS * 2 ** (attempts - 1), BACKOFF_MAX_MS);
}

/** Puts a job back in the queue to try again after `delayMs`. */
export async function retryJob(
  tx: Queryable,
  id: number,
  reason: string,
  delayMs: number,
): Promise<void> {
  await tx.query(
    `update job set status = 'queued', last_error = $2, locked_by = null,
       locked_until = null, run_after = now() + $3 * interval '1 millisecond',
       updated_at = now() where id = $1`,
    [id, reason, delayMs],
  );
}

/**
 * Puts back in the queue a job whose handler could not record any outcome
 * (the database went away mid-way), if it has attempts left; otherwise
 * leaves it for the reaper once its lease runs out. Returns whether it did.
 */
export async function releaseJob(
  db: Queryable,
  job: Pick<Job, "id">,
  workerId: string,
  reason: string,
): Promise<boolean> {
  const rows = await db.query(
    `update job set status = 'queued', last_error = $3, locked_by = null,
       locked_until = null, run_after = now() + interval '1 second',
       updated_at = now()
     where id = $1 and locked_by = $2 and status = 'running'
       and attempts < max_attempts
     returning id`,
    [job.id, workerId, reason],
  );
  return rows.length > 0;
}

/** Why the reaper took a job back. */
export const LEASE_EXPIRED =
  "lease expired: the worker running it stopped responding";

/** A job whose lease ran out, as the reaper found it. */
export interface ExpiredJob {
  id: number;
  queue: string;
  payload: Record<string, unknown>;
  /**
   * True when it has no attempts left: it is now leased to the reaping
   * worker, which must fail it (with whatever else records the failure).
   */
  failed: boolean;
}

/**
 * Re-queues jobs whose worker stopped renewing its lease (it died). A job
 * with no attempts left is not failed here but leased to `workerId`, which
 * fails it in the transaction that also ends its work (a TaskRun); if that
 * worker dies too, the lease runs out again and another reaper retries.
 */
export async function reapExpiredJobs(
  db: Queryable,
  workerId: string,
  leaseSeconds: number,
): Promise<ExpiredJob[]> {
  return await db.query<ExpiredJob>(
    `update job set
       status = case when attempts >= max_attempts then 'running' else 'queued' end,
       locked_by = case when attempts >= max_attempts then $1 end,
       locked_until = case when attempts >= max_attempts
         then now() + $2 * interval '1 second' end,
       last_error = $3, updated_at = now()
     where id in (
       select id from job where status = 'running' and locked_until < now()
       for update skip locked)
     returning id, queue, payload, status = 'running' as failed`,
    [workerId, leaseSeconds, LEASE_EXPIRED],
  );
}
