// Our queue (lib/queue) in the queue benchmark: no-op jobs drained by a
// Worker whose completions are batched (`workerCompletes`) and which claims
// ahead into a local queue (`prefetch`), plus its idle latency.

import { type Db, METADATA_SCHEMA } from "../../lib/db/db.ts";
import { migrate } from "../../lib/db/migrate.ts";
import { openPostgresDb } from "../../lib/db/postgres_db.ts";
import { enqueueJob, enqueueJobs } from "../../lib/queue/job.ts";
import { Worker } from "../../lib/queue/worker.ts";
import { type DrainResult, until } from "./queue_stats.ts";

/** How our Worker is configured for one measurement. */
export interface OurMode {
  concurrency: number;
  prefetch: number;
}

const QUEUE = "noop";

async function open(url: string): Promise<Db> {
  const db = await openPostgresDb(url, { max: 4, applicationName: "bench" });
  await migrate(db);
  return db;
}

function worker(db: Db, mode: OurMode, noop: () => void): Worker {
  return new Worker(db, {
    handlers: {
      [QUEUE]: () => {
        noop();
        return Promise.resolve();
      },
    },
    workerCompletes: [QUEUE],
    concurrency: mode.concurrency,
    prefetch: mode.prefetch,
  });
}

/** Enqueues `jobs` no-op jobs in one statement, then times a Worker draining them. */
export async function drainOurs(
  url: string,
  jobs: number,
  mode: OurMode,
): Promise<DrainResult> {
  const db = await open(url);
  let running: Worker | undefined;
  try {
    const payloads = Array.from({ length: jobs }, (_, n) => ({ n }));
    const enqueueStarted = performance.now();
    await db.transaction((tx) => enqueueJobs(tx, QUEUE, payloads));
    const enqueueSeconds = (performance.now() - enqueueStarted) / 1000;
    let ran = 0;
    const started = performance.now();
    running = worker(db, mode, () => ran++);
    await running.start();
    // Done when every job ran and its row says so.
    await until(async () => {
      if (ran < jobs) return false;
      const [row] = await db.query<{ left: number }>(
        `select count(*)::int as left from ${METADATA_SCHEMA}.job
         where queue = $1 and status <> 'done'`,
        [QUEUE],
      );
      return row.left === 0;
    });
    const seconds = (performance.now() - started) / 1000;
    return { jobs, seconds, jobsPerSecond: jobs / seconds, enqueueSeconds };
  } finally {
    await running?.stop();
    await db.close();
  }
}

/**
 * Enqueue-to-start latency of one job at a time on an idle Worker, in ms:
 * `samples` jobs, each enqueued after the previous one started.
 */
export async function ourLatency(
  url: string,
  samples: number,
  mode: OurMode,
): Promise<number[]> {
  const db = await open(url);
  let started: ((at: number) => void) | undefined;
  const running = worker(db, mode, () => started?.(performance.now()));
  await running.start();
  try {
    const latencies: number[] = [];
    for (let i = 0; i < samples + 5; i++) {
      const { promise, resolve } = Promise.withResolvers<number>();
      started = resolve;
      const sent = performance.now();
      // One statement in its own transaction, as graphile-worker's addJob.
      await enqueueJob(db, QUEUE, { i });
      const at = await promise;
      // The first few warm the connections up.
      if (i >= 5) latencies.push(at - sent);
      await new Promise((done) => setTimeout(done, 5));
    }
    return latencies;
  } finally {
    await running.stop();
    await db.close();
  }
}
