// `deno task bench queue [--jobs N] [--samples N] [--rounds N]`: N no-op jobs
// (default 20,000) enqueued with one call, then drained by our Worker and by
// graphile-worker (default mode, then batched) on the local PostgreSQL, each
// in a fresh database; plus the enqueue-to-start latency of one job on an idle
// worker (p50 over --samples, default 200).

import { createScratchDatabase } from "../lib/db/test_db.ts";
import {
  drainGraphile,
  graphileLatency,
  type GraphileMode,
} from "./lib/queue_graphile.ts";
import { drainOurs, ourLatency, type OurMode } from "./lib/queue_ours.ts";
import { type DrainResult, percentile } from "./lib/queue_stats.ts";

/** Options of the queue benchmark. */
export interface QueueBenchOptions {
  jobs: number;
  samples: number;
  /** Drains per contender; the median is reported (default 3). */
  rounds: number;
}

const USAGE =
  "Usage: deno task bench queue [--jobs N] [--samples N] [--rounds N]";
/** Concurrency for everyone: graphile-worker's performance page uses 24. */
const CONCURRENCY = 24;
const OURS: OurMode = { concurrency: CONCURRENCY, prefetch: 500 };
const OURS_NO_PREFETCH: OurMode = { concurrency: CONCURRENCY, prefetch: 0 };
const GRAPHILE_DEFAULT: GraphileMode = {
  concurrency: CONCURRENCY,
  batched: false,
};
const GRAPHILE_BATCHED: GraphileMode = {
  concurrency: CONCURRENCY,
  batched: true,
};

/** Parses `--jobs`, `--samples` and `--rounds` (positive integers, `_` allowed). */
export function parseQueueArgs(args: string[]): QueueBenchOptions {
  const options: QueueBenchOptions = { jobs: 20_000, samples: 200, rounds: 3 };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split("=", 2);
    const key = flag.slice(2) as keyof QueueBenchOptions;
    if (!["--jobs", "--samples", "--rounds"].includes(flag)) {
      throw new Error(
        `Cannot run queue: unknown argument "${args[i]}"\n${USAGE}`,
      );
    }
    const value = inline ?? args[++i] ?? "";
    const number = Number(value.replaceAll("_", ""));
    if (!/^\d[\d_]*$/.test(value) || !Number.isSafeInteger(number) || !number) {
      throw new Error(
        `Cannot run queue: ${flag} "${value}" is not a positive integer, e.g. ${flag} 1000`,
      );
    }
    options[key] = number;
  }
  return options;
}

const progress = (message: string) => console.error(`[queue] ${message}`);
const fmt = (value: number, digits = 0) =>
  value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
const round = (value: number, digits: number) =>
  Math.round(value * 10 ** digits) / 10 ** digits;

const ATTEMPTS = 3;

/** Voids the measurement in progress (see {@linkcode inFreshDatabase}). */
let voidMeasurement: ((error: unknown) => void) | undefined;

/**
 * A pool's connection error (another process restarting the shared
 * PostgreSQL or terminating backends) surfaces as an uncaught error event: it
 * voids the measurement in progress instead of ending the benchmark.
 */
function onUncaught(event: ErrorEvent | PromiseRejectionEvent) {
  event.preventDefault();
  const error = "error" in event ? event.error : event.reason;
  if (voidMeasurement) voidMeasurement(error);
  else progress(`ignored a late error of a void measurement: ${error}`);
}

/**
 * Runs `fn` on a fresh database, dropped afterwards; a void measurement (its
 * connections were cut) is made again, up to {@linkcode ATTEMPTS} times.
 */
async function inFreshDatabase<T>(fn: (url: string) => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    const failed = Promise.withResolvers<never>();
    failed.promise.catch(() => {}); // handled by the race below, if reached
    voidMeasurement = failed.reject;
    let scratch: { url: string; drop(): Promise<void> } | undefined;
    try {
      scratch = await createScratchDatabase("etl_bench");
      return await Promise.race([fn(scratch.url), failed.promise]);
    } catch (error) {
      if (attempt >= ATTEMPTS) throw error;
      progress(`measurement void (${error}); again (${attempt}/${ATTEMPTS})`);
    } finally {
      voidMeasurement = undefined;
      await scratch?.drop().catch(() => {});
    }
  }
}

/** The 1-, 5- and 15-minute load averages, as `/proc/loadavg` prints them. */
async function loadAverage(): Promise<string> {
  const text = await Deno.readTextFile("/proc/loadavg").catch(() => "? ? ?");
  return text.split(" ").slice(0, 3).join(" ");
}

function median(results: DrainResult[]): DrainResult {
  return [...results].sort((a, b) => a.jobsPerSecond - b.jobsPerSecond)[
    Math.floor(results.length / 2)
  ];
}

interface Contender {
  name: string;
  drain(url: string): Promise<DrainResult>;
}

/** Runs the benchmark: `args` are the arguments after `queue`. */
export async function run(args: string[]): Promise<void> {
  const options = parseQueueArgs(args);
  const { jobs } = options;
  globalThis.addEventListener("error", onUncaught);
  globalThis.addEventListener("unhandledrejection", onUncaught);
  const contenders: Contender[] = [
    {
      name: "ours",
      drain: (url) => drainOurs(url, jobs, OURS),
    },
    {
      name: "ours, no prefetch",
      drain: (url) => drainOurs(url, jobs, OURS_NO_PREFETCH),
    },
    {
      name: "graphile default",
      drain: (url) => drainGraphile(url, jobs, GRAPHILE_DEFAULT),
    },
    {
      name: "graphile batched",
      drain: (url) => drainGraphile(url, jobs, GRAPHILE_BATCHED),
    },
  ];
  const loadBefore = await loadAverage();
  // Rounds interleave the contenders, so a noisy moment hits them all alike.
  const results = new Map<string, DrainResult[]>();
  for (let r = 1; r <= options.rounds; r++) {
    for (const contender of contenders) {
      const result = await inFreshDatabase(contender.drain);
      progress(
        `round ${r}: ${contender.name}: ${fmt(result.jobsPerSecond)} jobs/s`,
      );
      results.set(contender.name, [
        ...(results.get(contender.name) ?? []),
        result,
      ]);
    }
  }
  progress(`latency: ${options.samples} samples each`);
  const ourLatencies = await inFreshDatabase((url) =>
    ourLatency(url, options.samples, OURS)
  );
  const graphileLatencies = await inFreshDatabase((url) =>
    graphileLatency(url, options.samples, GRAPHILE_DEFAULT)
  );

  const loadAfter = await loadAverage();
  const ours = median(results.get("ours")!);
  const noPrefetch = median(results.get("ours, no prefetch")!);
  const graphileDefault = median(results.get("graphile default")!);
  const graphileBatched = median(results.get("graphile batched")!);
  console.log(
    `queue: ${
      fmt(jobs)
    } no-op jobs, concurrency ${CONCURRENCY}, median of ${options.rounds} drains, each in a fresh database`,
  );
  const line = (name: string, result: DrainResult) =>
    console.log(
      `  ${name.padEnd(42)} ${
        fmt(result.jobsPerSecond).padStart(8)
      } jobs/s (drain ${fmt(result.seconds, 3)} s; enqueue ${
        fmt(result.enqueueSeconds, 3)
      } s)`,
    );
  line(`ours (prefetch ${OURS.prefetch}, batched completion)`, ours);
  line("ours (no prefetch, batched completion)", noPrefetch);
  line("graphile-worker default", graphileDefault);
  line("graphile-worker batched (localQueue 500)", graphileBatched);
  const latency = (name: string, values: number[]) =>
    console.log(
      `  latency enqueue → start, ${name.padEnd(16)} p50 ${
        fmt(percentile(values, 50), 2)
      } ms, p95 ${fmt(percentile(values, 95), 2)} ms`,
    );
  latency("ours", ourLatencies);
  latency("graphile-worker", graphileLatencies);
  console.log(
    `  load average (/proc/loadavg 1/5/15 min): before ${loadBefore}; after ${loadAfter}`,
  );

  const bench = (
    name: string,
    baseline: DrainResult,
    extra: Record<string, unknown>,
  ) =>
    console.log(`BENCH ${
      JSON.stringify({
        name,
        jobs,
        ours: Math.round(ours.jobsPerSecond),
        baseline: Math.round(baseline.jobsPerSecond),
        unit: "jobs/s",
        ratio: round(ours.jobsPerSecond / baseline.jobsPerSecond, 3),
        ours_no_prefetch: Math.round(noPrefetch.jobsPerSecond),
        ...extra,
      })
    }`);
  const p50 = percentile(ourLatencies, 50);
  const graphileP50 = percentile(graphileLatencies, 50);
  bench("queue/graphile-default", graphileDefault, {
    ratio_no_prefetch: round(
      noPrefetch.jobsPerSecond / graphileDefault.jobsPerSecond,
      3,
    ),
  });
  bench("queue/graphile-batched", graphileBatched, {});
  console.log(`BENCH ${
    JSON.stringify({
      name: "queue/graphile-latency",
      samples: options.samples,
      ours: round(p50, 2),
      baseline: round(graphileP50, 2),
      unit: "ms p50 enqueue to start",
      ratio: round(graphileP50 / p50, 3),
      ours_p95: round(percentile(ourLatencies, 95), 2),
      baseline_p95: round(percentile(graphileLatencies, 95), 2),
    })
  }`);
}
