// graphile-worker as the queue benchmark's baseline: the same number of no-op
// jobs drained on the same PostgreSQL server, in its default mode and with its
// batching (local queue and batched completion), plus its idle latency.

import postgres from "postgres";
import {
  Logger,
  makeWorkerUtils,
  run,
  type Runner,
  type WorkerUtils,
} from "graphile-worker";
import { type DrainResult, until } from "./queue_stats.ts";

/** How graphile-worker is configured for one measurement. */
export interface GraphileMode {
  concurrency: number;
  /** Batching as its performance page configures it. */
  batched: boolean;
}

// Quiet: its info lines would bury the report.
const silent = new Logger(() => () => {});

function preset(url: string, mode: GraphileMode) {
  return {
    connectionString: url,
    concurrency: mode.concurrency,
    maxPoolSize: mode.concurrency + 1,
    pollInterval: 2000,
    logger: silent,
    noHandleSignals: true,
    ...(mode.batched
      ? {
        preset: {
          worker: {
            localQueue: { size: 500 },
            completeJobBatchDelay: 0,
            failJobBatchDelay: 0,
          },
        },
      }
      : {}),
  };
}

async function utils(url: string): Promise<WorkerUtils> {
  const workerUtils = await makeWorkerUtils({
    connectionString: url,
    logger: silent,
  });
  await workerUtils.migrate();
  return workerUtils;
}

/** Enqueues `jobs` no-op jobs in one call, then times a worker draining them. */
export async function drainGraphile(
  url: string,
  jobs: number,
  mode: GraphileMode,
): Promise<DrainResult> {
  const workerUtils = await utils(url);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  let runner: Runner | undefined;
  try {
    const specs = Array.from(
      { length: jobs },
      (_, n) => ({ identifier: "noop", payload: { n } }),
    );
    const enqueueStarted = performance.now();
    await workerUtils.addJobs(specs);
    const enqueueSeconds = (performance.now() - enqueueStarted) / 1000;
    let ran = 0;
    const started = performance.now();
    runner = await run({
      ...preset(url, mode),
      taskList: {
        noop: () => {
          ran++;
          return Promise.resolve();
        },
      },
    });
    // Done when every job ran and graphile-worker deleted its row.
    await until(async () => {
      if (ran < jobs) return false;
      const [row] = await sql.unsafe(
        "select count(*)::int as left from graphile_worker._private_jobs",
      );
      return row.left === 0;
    });
    const seconds = (performance.now() - started) / 1000;
    return { jobs, seconds, jobsPerSecond: jobs / seconds, enqueueSeconds };
  } finally {
    await runner?.stop();
    await workerUtils.release();
    await sql.end();
  }
}

/**
 * Enqueue-to-start latency of one job at a time on an idle worker, in ms:
 * `samples` jobs, each added after the previous one started.
 */
export async function graphileLatency(
  url: string,
  samples: number,
  mode: GraphileMode,
): Promise<number[]> {
  const workerUtils = await utils(url);
  let started: ((at: number) => void) | undefined;
  const runner = await run({
    ...preset(url, mode),
    taskList: {
      noop: () => {
        started?.(performance.now());
        return Promise.resolve();
      },
    },
  });
  try {
    const latencies: number[] = [];
    for (let i = 0; i < samples + 5; i++) {
      const { promise, resolve } = Promise.withResolvers<number>();
      started = resolve;
      const sent = performance.now();
      await workerUtils.addJob("noop", { i });
      const at = await promise;
      // The first few warm the connections up.
      if (i >= 5) latencies.push(at - sent);
      await new Promise((done) => setTimeout(done, 5));
    }
    return latencies;
  } finally {
    await runner.stop();
    await workerUtils.release();
  }
}
