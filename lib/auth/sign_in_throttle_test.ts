import assert from "node:assert/strict";
import { testDb } from "../db/test_db.ts";
import type { Queryable } from "../db/db.ts";
import {
  beginSignInAttempt,
  clearSignInFailures,
  forgetSignInAttempt,
  MAX_FAILURES_PER_ACCOUNT,
  MAX_FAILURES_PER_ADDRESS,
  recordSignInFailure,
  signInRetryAfter,
  THROTTLE_WINDOW_MS,
  trimSignInFailures,
} from "./sign_in_throttle.ts";

const WINDOW_S = THROTTLE_WINDOW_MS / 1000;

async function fail(db: Queryable, email: string, ip: string, times: number) {
  for (let i = 0; i < times; i++) await recordSignInFailure(db, email, ip);
}

/** Inserts failures `agoMs` in the past (the clock can't be moved). */
async function failAgo(db: Queryable, key: string, agoMs: number, n = 1) {
  for (let i = 0; i < n; i++) {
    await db.query(
      `insert into sign_in_failure (key, failed_at) values ($1, $2)`,
      [key, new Date(Date.now() - agoMs)],
    );
  }
}

async function count(db: Queryable): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    "select count(*)::int as n from sign_in_failure",
  );
  return Number(row.n);
}

Deno.test("an account is locked after 5 failures, from any address, for the rest of the window", async () => {
  await using t = await testDb();
  assert.equal(MAX_FAILURES_PER_ACCOUNT, 5);
  assert.equal(THROTTLE_WINDOW_MS, 15 * 60 * 1000);
  assert.equal(await signInRetryAfter(t.db, "a@x.test", "10.0.0.1"), 0);
  await fail(t.db, "a@x.test", "10.0.0.1", 4);
  assert.equal(await signInRetryAfter(t.db, "a@x.test", "10.0.0.1"), 0);
  await fail(t.db, "a@x.test", "10.0.0.1", 1);
  const wait = await signInRetryAfter(t.db, "a@x.test", "10.0.0.1");
  assert.ok(wait > WINDOW_S - 60 && wait <= WINDOW_S, `${wait}`);
  // Whatever the address.
  assert.ok(await signInRetryAfter(t.db, "a@x.test", "10.0.0.2") > 0);
  // Other accounts, from the same address or another, are not locked.
  assert.equal(await signInRetryAfter(t.db, "b@x.test", "10.0.0.1"), 0);
  assert.equal(await signInRetryAfter(t.db, "b@x.test", "10.0.0.2"), 0);
});

Deno.test("an address is locked after 20 failures over any accounts; other addresses are not", async () => {
  await using t = await testDb();
  assert.equal(MAX_FAILURES_PER_ADDRESS, 20);
  for (let account = 0; account < 5; account++) {
    await fail(t.db, `u${account}@x.test`, "10.0.0.9", 3);
  }
  await fail(t.db, "u5@x.test", "10.0.0.9", 4);
  assert.equal(await signInRetryAfter(t.db, "new@x.test", "10.0.0.9"), 0);
  await fail(t.db, "u6@x.test", "10.0.0.9", 1);
  assert.ok(await signInRetryAfter(t.db, "new@x.test", "10.0.0.9") > 0);
  assert.equal(await signInRetryAfter(t.db, "new@x.test", "10.0.0.10"), 0);
  // No account got to its own limit.
  assert.equal(await signInRetryAfter(t.db, "u5@x.test", "10.0.0.10"), 0);
});

Deno.test("clearing an account's failures (a success) keeps the address's", async () => {
  await using t = await testDb();
  await fail(t.db, "a@x.test", "10.0.0.1", 5);
  await fail(t.db, "b@x.test", "10.0.0.1", 5);
  await fail(t.db, "c@x.test", "10.0.0.1", 5);
  await fail(t.db, "d@x.test", "10.0.0.1", 4);
  assert.ok(await signInRetryAfter(t.db, "a@x.test", "10.0.0.2") > 0);
  await clearSignInFailures(t.db, "a@x.test");
  assert.equal(await signInRetryAfter(t.db, "a@x.test", "10.0.0.2"), 0);
  // Only that account: the others stay locked.
  assert.ok(await signInRetryAfter(t.db, "b@x.test", "10.0.0.2") > 0);
  // The address still counts all 19 failures: one more locks it.
  await fail(t.db, "e@x.test", "10.0.0.1", 1);
  assert.ok(await signInRetryAfter(t.db, "a@x.test", "10.0.0.1") > 0);
});

Deno.test("failures older than the window don't count; the wait ends when the oldest leaves it", async () => {
  await using t = await testDb();
  // Five failures 16 minutes ago: outside the window.
  await failAgo(t.db, "email:a@x.test", 16 * 60 * 1000, 5);
  assert.equal(await signInRetryAfter(t.db, "a@x.test", "10.0.0.1"), 0);
  // Five failures 14 minutes ago: locked for about one more minute.
  await failAgo(t.db, "email:b@x.test", 14 * 60 * 1000, 5);
  const wait = await signInRetryAfter(t.db, "b@x.test", "10.0.0.1");
  assert.ok(wait > 50 && wait <= 60, `${wait}`);
  // Four old, one new: still five in the window, the oldest decides.
  await failAgo(t.db, "email:c@x.test", 10 * 60 * 1000, 4);
  await failAgo(t.db, "email:c@x.test", 0, 1);
  const waitC = await signInRetryAfter(t.db, "c@x.test", "10.0.0.1");
  assert.ok(waitC > 290 && waitC <= 300, `${waitC}`);
  // Recording a failure trims rows past the window.
  assert.equal(await count(t.db), 15);
  await recordSignInFailure(t.db, "d@x.test", "10.0.0.1");
  assert.equal(await count(t.db), 12);
  await failAgo(t.db, "ip:10.0.0.1", 20 * 60 * 1000, 3);
  await trimSignInFailures(t.db);
  assert.equal(await count(t.db), 12);
});

Deno.test("beginSignInAttempt counts the attempt first and refuses the one over the limit", async () => {
  await using t = await testDb();
  const attempts = [];
  for (let i = 0; i < 5; i++) {
    const pending = await beginSignInAttempt(t.db, "a@x.test", "10.0.0.1");
    assert.equal(pending.retryAfter, 0, `attempt ${i + 1}`);
    assert.equal(pending.ids.length, 2);
    attempts.push(pending);
  }
  // Those five count as failures until forgotten.
  assert.ok(await signInRetryAfter(t.db, "a@x.test", "10.0.0.1") > 0);
  const sixth = await beginSignInAttempt(t.db, "a@x.test", "10.0.0.1");
  assert.ok(sixth.retryAfter > 0);
  // A refused attempt is not counted: it does not prolong the lock.
  assert.equal(await count(t.db), 10);
  // A successful attempt is forgotten, from the address's count too.
  await forgetSignInAttempt(t.db, attempts[4]);
  assert.equal(await count(t.db), 8);
  assert.equal(await signInRetryAfter(t.db, "a@x.test", "10.0.0.1"), 0);
});

Deno.test("concurrent attempts: no more than the limit get through", async () => {
  await using t = await testDb();
  const results = await Promise.all(
    Array.from(
      { length: 25 },
      () => beginSignInAttempt(t.db, "a@x.test", "10.0.0.1"),
    ),
  );
  // A burst may even be refused whole (every attempt saw the others).
  const through = results.filter((r) => r.retryAfter === 0).length;
  assert.ok(through <= MAX_FAILURES_PER_ACCOUNT, `${through}`);
  // Refused attempts left nothing behind; then the rest of the five.
  assert.equal(await count(t.db), 2 * through);
  for (let i = through; i < MAX_FAILURES_PER_ACCOUNT; i++) {
    const pending = await beginSignInAttempt(t.db, "a@x.test", "10.0.0.1");
    assert.equal(pending.retryAfter, 0);
  }
  const over = await beginSignInAttempt(t.db, "a@x.test", "10.0.0.1");
  assert.ok(over.retryAfter > 0);

  // The same from one address over many accounts.
  const spread = await Promise.all(
    Array.from(
      { length: 40 },
      (_, i) => beginSignInAttempt(t.db, `s${i}@x.test`, "10.0.0.7"),
    ),
  );
  const spreadThrough = spread.filter((r) => r.retryAfter === 0).length;
  assert.ok(spreadThrough <= MAX_FAILURES_PER_ADDRESS, `${spreadThrough}`);
});
