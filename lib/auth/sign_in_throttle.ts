// Slows password guessing: after too many failures in a window, an account
// (whatever the address) and an address (whatever the account) must wait.
// Kept in the database so every web process of a fleet sees the same count.

import type { Queryable } from "../db/db.ts";

/** Failures counted over this window. */
export const THROTTLE_WINDOW_MS = 15 * 60 * 1000;
/** Failures allowed per account within the window. */
export const MAX_FAILURES_PER_ACCOUNT = 5;
/** Failures allowed per client address within the window. */
export const MAX_FAILURES_PER_ADDRESS = 20;

/** Seconds to wait before another attempt, or 0 when one is allowed. */
export async function signInRetryAfter(
  db: Queryable,
  email: string,
  ip: string,
): Promise<number> {
  return await retryAfter(db, email, ip, 0);
}

/** An attempt counted by {@linkcode beginSignInAttempt}. */
export interface PendingSignIn {
  /** Seconds to wait (the attempt was refused and not counted), or 0. */
  retryAfter: number;
  /** Its rows, counted as a failure until {@linkcode forgetSignInAttempt}. */
  ids: number[];
}

/**
 * Counts an attempt against the account and the address before its
 * password is checked, then refuses it if that goes over a limit. Counting
 * first makes the limits hold for concurrent attempts too (checking first
 * let a burst of parallel guesses all pass the check): of the attempts let
 * through, the last to count saw every one of them.
 */
export async function beginSignInAttempt(
  db: Queryable,
  email: string,
  ip: string,
): Promise<PendingSignIn> {
  const rows = await db.query<{ id: number }>(
    `insert into sign_in_failure (key) values ($1), ($2) returning id`,
    [`email:${email}`, `ip:${ip}`],
  );
  const pending = {
    ids: rows.map((row) => Number(row.id)),
    retryAfter: await retryAfter(db, email, ip, 1),
  };
  if (pending.retryAfter > 0) await forgetSignInAttempt(db, pending);
  return pending;
}

/** Uncounts an attempt (it succeeded, or was refused unchecked). */
export async function forgetSignInAttempt(
  db: Queryable,
  pending: PendingSignIn,
): Promise<void> {
  await db.query(`delete from sign_in_failure where id = any($1::bigint[])`, [
    pending.ids,
  ]);
}

/** Deletes failures older than the window (they no longer count). */
export async function trimSignInFailures(db: Queryable): Promise<void> {
  await db.query(
    `delete from sign_in_failure where failed_at < $1`,
    [new Date(Date.now() - THROTTLE_WINDOW_MS)],
  );
}

/** The wait when `own` of the rows in the window are the attempt's own. */
async function retryAfter(
  db: Queryable,
  email: string,
  ip: string,
  own: number,
): Promise<number> {
  const since = new Date(Date.now() - THROTTLE_WINDOW_MS);
  const rows = await db.query<{ key: string; n: number; oldest: Date }>(
    `select key, count(*)::int as n, min(failed_at) as oldest
       from sign_in_failure
      where key = any($1::text[]) and failed_at > $2
      group by key`,
    [[`email:${email}`, `ip:${ip}`], since],
  );
  let wait = 0;
  for (const row of rows) {
    const limit = row.key.startsWith("email:")
      ? MAX_FAILURES_PER_ACCOUNT
      : MAX_FAILURES_PER_ADDRESS;
    if (Number(row.n) - own >= limit) {
      const until = new Date(row.oldest).getTime() + THROTTLE_WINDOW_MS;
      wait = Math.max(wait, Math.ceil((until - Date.now()) / 1000));
    }
  }
  return Math.max(wait, 0);
}

/** Counts one failed attempt against the account and the address. */
export async function recordSignInFailure(
  db: Queryable,
  email: string,
  ip: string,
): Promise<void> {
  await db.query(
    `insert into sign_in_failure (key) values ($1), ($2)`,
    [`email:${email}`, `ip:${ip}`],
  );
  // Old rows are useless; trimming here keeps the table small without a job.
  await trimSignInFailures(db);
}

/** Forgets an account's failures after a successful sign-in. */
export async function clearSignInFailures(
  db: Queryable,
  email: string,
): Promise<void> {
  await db.query(`delete from sign_in_failure where key = $1`, [
    `email:${email}`,
  ]);
}
