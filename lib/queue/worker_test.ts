import assert from "node:assert/strict";
import { testDb } from "../db/test_db.ts";
import type { Db } from "../db/db.ts";
import { claimJobs, completeJobs, enqueueJob, enqueueJobs } from "./job.ts";
import { Worker } from "./worker.ts";

interface JobRow {
  id: number;
  status: string;
  attempts: number;
  last_error: string | null;
  retry_later: boolean;
}

function jobRows(db: Db): Promise<JobRow[]> {
  return db.query<JobRow>(
    `select id, status, attempts, last_error, run_after > now() as retry_later
     from job order by id`,
  );
}

/** Polls `check` (no timing assumption but a generous give-up). */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition never became true");
    await new Promise((done) => setTimeout(done, 20));
  }
}

Deno.test("enqueueJobs() adds every payload in order with one statement", async () => {
  await using t = await testDb();
  const ids = await t.db.transaction((tx) =>
    enqueueJobs(tx, "noop", [{ n: 1 }, { n: 2 }, { n: 3 }], { maxAttempts: 2 })
  );
  assert.equal(ids.length, 3);
  assert.deepEqual([...ids].sort((a, b) => a - b), ids);
  const rows = await t.db.query<{ n: number; max_attempts: number }>(
    "select (payload ->> 'n')::int as n, max_attempts from job order by id",
  );
  assert.deepEqual(rows, [1, 2, 3].map((n) => ({ n, max_attempts: 2 })));
  assert.deepEqual(
    await t.db.transaction((tx) => enqueueJobs(tx, "noop", [])),
    [],
  );
});

Deno.test("completeJobs() marks only the jobs this worker still holds", async () => {
  await using t = await testDb();
  await t.db.transaction((tx) => enqueueJobs(tx, "noop", [{}, {}]));
  const [mine] = await claimJobs(t.db, {
    queues: ["noop"],
    workerId: "a",
    limit: 1,
    leaseSeconds: 30,
  });
  const [theirs] = await claimJobs(t.db, {
    queues: ["noop"],
    workerId: "b",
    limit: 1,
    leaseSeconds: 30,
  });
  const done = await completeJobs(t.db, "a", [mine.id, theirs.id]);
  assert.deepEqual(done, [mine.id]);
  const rows = await jobRows(t.db);
  assert.deepEqual(rows.map((r) => r.status), ["done", "running"]);
});

Deno.test("Worker with workerCompletes marks finished jobs done, retries then fails throwing ones", async () => {
  await using t = await testDb();
  await t.db.transaction(async (tx) => {
    await enqueueJobs(
      tx,
      "noop",
      Array.from({ length: 50 }, (_, n) => ({ n })),
    );
    await enqueueJobs(tx, "boom", [{}], { maxAttempts: 1 });
    await enqueueJobs(tx, "flaky", [{}], { maxAttempts: 2 });
  });
  let ran = 0;
  const worker = new Worker(t.db, {
    handlers: {
      noop: () => {
        ran++;
        return Promise.resolve();
      },
      boom: () => Promise.reject(new Error("no luck")),
      flaky: () => Promise.reject(new Error("not yet")),
    },
    workerCompletes: ["noop", "boom", "flaky"],
    concurrency: 4,
    prefetch: 10,
    pollMs: 100,
  });
  await worker.start();
  try {
    await eventually(async () => {
      const [row] = await t.db.query<{ open: number }>(
        "select count(*)::int as open from job where status = 'running' or (status = 'queued' and run_after <= now())",
      );
      return row.open === 0;
    });
  } finally {
    await worker.stop();
  }
  assert.equal(ran, 50);
  const byQueue = await t.db.query<
    { queue: string; status: string; n: number; last_error: string | null }
  >(
    `select queue, status, count(*)::int as n, max(last_error) as last_error
     from job group by queue, status order by queue`,
  );
  const rest = byQueue.filter((row) => row.queue !== "flaky");
  assert.deepEqual(rest, [
    { queue: "boom", status: "failed", n: 1, last_error: "no luck" },
    { queue: "noop", status: "done", n: 50, last_error: null },
  ]);
  // Retried after a backoff, or (on a slow machine) already out of attempts.
  const [flaky] = await t.db.query<JobRow>(
    "select status, attempts, last_error, run_after > now() as retry_later from job where queue = 'flaky'",
  );
  assert.equal(flaky.last_error, "not yet");
  if (flaky.status === "queued") {
    assert.equal(flaky.attempts, 1);
    assert.equal(flaky.retry_later, true);
  } else {
    assert.deepEqual([flaky.status, flaky.attempts], ["failed", 2]);
  }
});

Deno.test("Worker holds prefetched jobs under lease and gives them back unspent on stop", async () => {
  await using t = await testDb();
  await t.db.transaction((tx) =>
    enqueueJobs(tx, "slow", Array.from({ length: 10 }, (_, n) => ({ n })))
  );
  const gate = Promise.withResolvers<void>();
  let started = 0;
  const worker = new Worker(t.db, {
    handlers: {
      slow: async () => {
        started++;
        await gate.promise;
      },
    },
    workerCompletes: ["slow"],
    concurrency: 1,
    prefetch: 4,
    pollMs: 100,
  });
  await worker.start();
  // One runs, four wait in the local queue: five leased to this worker.
  await eventually(async () => {
    const [row] = await t.db.query<{ n: number }>(
      "select count(*)::int as n from job where status = 'running' and locked_by = $1",
      [worker.id],
    );
    return row.n === 5;
  });
  assert.equal(started, 1);
  const stopping = worker.stop();
  gate.resolve();
  await stopping;
  const rows = await jobRows(t.db);
  assert.deepEqual(
    rows.map((r) => [r.status, r.attempts]),
    [
      ["done", 1],
      ...Array.from({ length: 9 }, () => ["queued", 0]),
    ],
  );
  assert.equal(started, 1);
});

Deno.test("Worker wakes on enqueueJob()'s NOTIFY for a job added while it is idle", async () => {
  await using t = await testDb();
  const seen = Promise.withResolvers<number>();
  const worker = new Worker(t.db, {
    handlers: {
      ping: (job) => {
        seen.resolve(Number(job.payload.n));
        return Promise.resolve();
      },
    },
    workerCompletes: ["ping"],
    // Polling alone would take far longer than the test's patience.
    pollMs: 600_000,
  });
  await worker.start();
  try {
    await new Promise((done) => setTimeout(done, 50));
    // enqueueJob's NOTIFY rides in its insert statement.
    await enqueueJob(t.db, "ping", { n: 7 });
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error("not woken within 30 s")), 30_000)
    );
    assert.equal(await Promise.race([seen.promise, timeout]), 7);
  } finally {
    await worker.stop();
  }
});
