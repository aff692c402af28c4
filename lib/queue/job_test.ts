import assert from "node:assert/strict";
import { testDb } from "../db/test_db.ts";
import {
  claimJobs,
  completeJob,
  enqueueJob,
  LEASE_EXPIRED,
  reapExpiredJobs,
  releaseJob,
} from "./job.ts";

Deno.test("claimJobs() takes due jobs by priority and never hands one out twice", async () => {
  await using t = await testDb();
  await t.db.transaction(async (tx) => {
    await enqueueJob(tx, "task", { n: 1 });
    await enqueueJob(tx, "task", { n: 2 }, { priority: 5 });
    await enqueueJob(tx, "task", { n: 3 }, {
      runAfter: new Date(Date.now() + 60_000),
    });
    await enqueueJob(tx, "other", { n: 4 });
  });
  const first = await claimJobs(t.db, {
    queues: ["task"],
    workerId: "a",
    limit: 1,
    leaseSeconds: 30,
  });
  assert.deepEqual(first.map((j) => j.payload.n), [2]);
  const second = await claimJobs(t.db, {
    queues: ["task"],
    workerId: "b",
    limit: 10,
    leaseSeconds: 30,
  });
  assert.deepEqual(second.map((j) => j.payload.n), [1]);
  assert.equal(second[0].attempts, 1);
});

Deno.test("reapExpiredJobs() re-queues a dead worker's job, then fails it after max attempts", async () => {
  await using t = await testDb();
  await t.db.transaction((tx) =>
    enqueueJob(tx, "task", {}, { maxAttempts: 2 })
  );
  for (let attempt = 1; attempt <= 2; attempt++) {
    const [job] = await claimJobs(t.db, {
      queues: ["task"],
      workerId: "w",
      limit: 1,
      leaseSeconds: 30,
    });
    assert.equal(job.attempts, attempt);
    await t.db.query(
      "update job set locked_until = now() - interval '1 second'",
    );
    const [reaped] = await reapExpiredJobs(t.db, "reaper", 30);
    assert.equal(reaped.failed, attempt === 2);
  }
  // No attempts left: leased to the reaper, which fails it with its reason.
  const [row] = await t.db.query<
    { status: string; locked_by: string; last_error: string }
  >("select status, locked_by, last_error from job");
  assert.deepEqual(row, {
    status: "running",
    locked_by: "reaper",
    last_error: LEASE_EXPIRED,
  });
  assert.deepEqual(await reapExpiredJobs(t.db, "other", 30), []);
  // A reaper that died before failing it: the next one takes it again.
  await t.db.query("update job set locked_until = now() - interval '1 second'");
  const [again] = await reapExpiredJobs(t.db, "other", 30);
  assert.equal(again.failed, true);
});

Deno.test("releaseJob() re-queues a job with attempts left, and only then", async () => {
  await using t = await testDb();
  await t.db.transaction((tx) =>
    enqueueJob(tx, "task", {}, { maxAttempts: 2 })
  );
  const claim = () =>
    claimJobs(t.db, {
      queues: ["task"],
      workerId: "w",
      limit: 1,
      leaseSeconds: 30,
    });
  const [first] = await claim();
  assert.equal(await releaseJob(t.db, first, "someone else", "x"), false);
  assert.equal(await releaseJob(t.db, first, "w", "database went away"), true);
  await t.db.query("update job set run_after = now()");
  const [second] = await claim();
  assert.equal(second.attempts, 2);
  assert.equal(await releaseJob(t.db, second, "w", "again"), false);
});

Deno.test("completeJob() takes the job out of the queue", async () => {
  await using t = await testDb();
  await t.db.transaction((tx) => enqueueJob(tx, "task", {}));
  const [job] = await claimJobs(t.db, {
    queues: ["task"],
    workerId: "w",
    limit: 1,
    leaseSeconds: 30,
  });
  await completeJob(t.db, job.id);
  assert.equal(
    (await claimJobs(t.db, {
      queues: ["task"],
      workerId: "w",
      limit: 1,
      leaseSeconds: 30,
    })).length,
    0,
  );
  await t.db.query("update job set locked_until = now() - interval '1 second'");
  assert.equal((await reapExpiredJobs(t.db, "w", 30)).length, 0);
});
