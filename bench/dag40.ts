// `deno task bench dag40 [--steps N] [--runs N] [--backend postgres|pglite|both]`:
// a linear pipeline of N (default 40) near-no-op steps (`extract` of
// `select 1 as n` on the built-in warehouse, each needing the previous one),
// run end to end through the real platform (a subprocess, created and started
// through the API), 1 warm-up then --runs measured runs (default 5); p50 of
// the run's duration, start → SUCCESS. Baselines are published figures.

import { createScratchDatabase } from "../lib/db/test_db.ts";
import { type PlatformProcess, startPlatform } from "./lib/platform_process.ts";
import { percentile } from "./lib/queue_stats.ts";

/** Options of the dag40 benchmark. */
export interface Dag40Options {
  steps: number;
  runs: number;
  backends: ("postgres" | "pglite")[];
  /** Copy the platform's output to stderr. */
  verbose: boolean;
}

// Windmill's comparison: one flow of 40 lightweight tasks in sequence (each
// computes fibo(10), about 10 ms of work there; ours do a one-row query and
// stage it), on AWS m4.large instances. The figures are as quoted in issue 3.
const WINDMILL_PAGE =
  "windmill.dev/docs/misc/benchmarks/competitors (40 lightweight tasks in sequence)";

/** Published end-to-end figures for a 40-step linear flow of light tasks. */
export const PUBLISHED = [
  {
    name: "dag40/windmill-published",
    seconds: 2.4,
    source: `Windmill, dedicated workers: ${WINDMILL_PAGE}`,
  },
  {
    name: "dag40/hatchet-published",
    seconds: 1.2,
    source: `Hatchet: ${WINDMILL_PAGE}`,
  },
  {
    name: "dag40/temporal-published",
    seconds: 3.0,
    source: `Temporal: ${WINDMILL_PAGE}`,
  },
  {
    name: "dag40/airflow-published",
    seconds: 56,
    source: `Airflow 2.7.3: ${WINDMILL_PAGE}`,
  },
];

const USAGE =
  "Usage: deno task bench dag40 [--steps N] [--runs N] [--backend postgres|pglite|both] [--verbose]";
const POLL_MS = 25;
const RUN_TIMEOUT_MS = 5 * 60_000;

/** Parses the benchmark's arguments. */
export function parseDag40Args(args: string[]): Dag40Options {
  const options: Dag40Options = {
    steps: 40,
    runs: 5,
    backends: ["postgres", "pglite"],
    verbose: false,
  };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split("=", 2);
    if (flag === "--verbose" && inline === undefined) {
      options.verbose = true;
      continue;
    }
    if (!["--backend", "--steps", "--runs"].includes(flag)) {
      throw new Error(
        `Cannot run dag40: unknown argument "${args[i]}"\n${USAGE}`,
      );
    }
    const value = inline ?? args[++i] ?? "";
    if (flag === "--backend") {
      if (!["postgres", "pglite", "both"].includes(value)) {
        throw new Error(
          `Cannot run dag40: --backend "${value}" is not postgres, pglite or both`,
        );
      }
      options.backends = value === "both"
        ? ["postgres", "pglite"]
        : [value as "postgres" | "pglite"];
    } else {
      const number = Number(value);
      if (!/^\d+$/.test(value) || number < 1) {
        throw new Error(
          `Cannot run dag40: ${flag} "${value}" is not a positive integer`,
        );
      }
      options[flag === "--steps" ? "steps" : "runs"] = number;
    }
  }
  return options;
}

/** The pipeline: `s01 → s02 → … → sN`, each a one-row extract. */
export function linearPipeline(steps: number) {
  const id = (n: number) => `s${String(n).padStart(2, "0")}`;
  return {
    name: `dag${steps}`,
    steps: Array.from({ length: steps }, (_, i) => ({
      id: id(i + 1),
      type: "extract",
      connector: "warehouse",
      config: { query: "select 1 as n" },
      ...(i > 0 ? { needs: [id(i)] } : {}),
    })),
  };
}

const progress = (message: string) => console.error(`[dag40] ${message}`);
const fmt = (value: number, digits = 3) =>
  value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });

/** The 1-, 5- and 15-minute load averages, as `/proc/loadavg` prints them. */
async function loadAverage(): Promise<string> {
  const text = await Deno.readTextFile("/proc/loadavg").catch(() => "? ? ?");
  return text.split(" ").slice(0, 3).join(" ");
}

interface RunView {
  status: string;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  tasks: {
    step_key: string;
    status: string;
    error: string | null;
    started_at: string | null;
    finished_at: string | null;
  }[];
}

/** One measured run. */
interface RunTiming {
  /** created_at → finished_at of the run row (the server's clock). */
  serverSeconds: number;
  /** From sending POST …/runs to seeing SUCCESS (includes up to POLL_MS). */
  clientSeconds: number;
  /** Mean time from a step's finish to its successor's start. */
  handoffMs: number;
  /** Mean time a step runs (started → finished). */
  stepMs: number;
}

async function api(
  platform: PlatformProcess,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const response = await platform.fetch(path, {
    method: body === undefined ? "GET" : "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status >= 300) {
    throw new Error(`${path} answered ${response.status}: ${text}`);
  }
  return JSON.parse(text);
}

async function runOnce(
  platform: PlatformProcess,
  pipelineId: unknown,
): Promise<RunTiming> {
  const sent = performance.now();
  const { id } = await api(
    platform,
    `/api/v1/pipelines/${pipelineId}/runs`,
    {},
  );
  let run: RunView;
  while (true) {
    run = await api(platform, `/api/v1/runs/${id}`) as unknown as RunView;
    if (["SUCCESS", "FAILURE", "CANCELLED"].includes(run.status)) break;
    if (performance.now() - sent > RUN_TIMEOUT_MS) {
      throw new Error(`Run ${id} still ${run.status} after 5 minutes`);
    }
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
  const clientSeconds = (performance.now() - sent) / 1000;
  if (run.status !== "SUCCESS") {
    const failed = run.tasks.filter((t) => t.error).map((t) =>
      `${t.step_key}: ${t.status} ${t.error}`
    );
    throw new Error(
      `Run ${id} ended ${run.status}: ${run.error}\n${
        failed.join("\n")
      }\n${platform.outputTail()}`,
    );
  }
  const ms = (iso: string | null) => new Date(iso!).getTime();
  const tasks = [...run.tasks].sort((a, b) =>
    a.step_key.localeCompare(b.step_key)
  );
  let handoff = 0;
  let step = 0;
  for (let i = 0; i < tasks.length; i++) {
    step += ms(tasks[i].finished_at) - ms(tasks[i].started_at);
    if (i > 0) {
      handoff += ms(tasks[i].started_at) - ms(tasks[i - 1].finished_at);
    }
  }
  return {
    serverSeconds: (ms(run.finished_at) - ms(run.created_at)) / 1000,
    clientSeconds,
    handoffMs: handoff / Math.max(1, tasks.length - 1),
    stepMs: step / tasks.length,
  };
}

async function measureBackend(
  backend: "postgres" | "pglite",
  options: Dag40Options,
): Promise<RunTiming[]> {
  const tmp = await Deno.makeTempDir({ prefix: "etl_bench_dag40_" });
  const scratch = backend === "postgres"
    ? await createScratchDatabase("etl_bench")
    : undefined;
  let platform: PlatformProcess | undefined;
  try {
    platform = await startPlatform({
      env: {
        ...(scratch ? { DATABASE_URL: scratch.url } : {}),
        ETL_DATA_DIR: `${tmp}/data`,
        ETL_LOG_LEVEL: "warn",
      },
      echo: options.verbose,
    });
    const pipeline = await api(
      platform,
      "/api/v1/pipelines",
      linearPipeline(options.steps),
    );
    progress(`${backend}: platform pid ${platform.pid}, warm-up run`);
    await runOnce(platform, pipeline.id);
    const timings: RunTiming[] = [];
    for (let i = 1; i <= options.runs; i++) {
      const timing = await runOnce(platform, pipeline.id);
      progress(
        `${backend}: run ${i}: ${fmt(timing.serverSeconds)} s (client ${
          fmt(timing.clientSeconds)
        } s; per step ${fmt(timing.stepMs, 1)} ms running + ${
          fmt(timing.handoffMs, 1)
        } ms hand-off)`,
      );
      timings.push(timing);
    }
    return timings;
  } finally {
    await platform?.stop();
    await scratch?.drop();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

/** Runs the benchmark: `args` are the arguments after `dag40`. */
export async function run(args: string[]): Promise<void> {
  const options = parseDag40Args(args);
  const results = new Map<string, RunTiming[]>();
  const loadBefore = await loadAverage();
  for (const backend of options.backends) {
    results.set(backend, await measureBackend(backend, options));
  }
  const loadAfter = await loadAverage();
  console.log(
    `dag40: ${options.steps}-step linear pipeline (extract "select 1 as n" on the warehouse, chained by needs), p50 of ${options.runs} runs after 1 warm-up`,
  );
  const p50 = (timings: RunTiming[], key: keyof RunTiming) =>
    percentile(timings.map((t) => t[key]), 50);
  for (const [backend, timings] of results) {
    console.log(
      `  ${backend.padEnd(8)} p50 ${
        fmt(p50(timings, "serverSeconds"))
      } s start → SUCCESS (server clock; client-observed ${
        fmt(p50(timings, "clientSeconds"))
      } s); per step: ${fmt(p50(timings, "stepMs"), 1)} ms running, ${
        fmt(p50(timings, "handoffMs"), 1)
      } ms from a step's end to the next one's start`,
    );
  }
  console.log(
    `  load average (/proc/loadavg 1/5/15 min): before ${loadBefore}; after ${loadAfter}`,
  );
  const headline = results.get("postgres") ?? results.get("pglite")!;
  const ours = p50(headline, "serverSeconds");
  const extra = Object.fromEntries(
    [...results].map((
      [backend, timings],
    ) => [
      `${backend}_s`,
      Math.round(p50(timings, "serverSeconds") * 1000) / 1000,
    ]),
  );
  for (const anchor of PUBLISHED) {
    console.log(`  ${anchor.name}: ${anchor.seconds} s — ${anchor.source}`);
  }
  for (const anchor of PUBLISHED) {
    console.log(`BENCH ${
      JSON.stringify({
        name: anchor.name,
        steps: options.steps,
        backend: results.has("postgres") ? "postgres" : "pglite",
        ours: Math.round(ours * 1000) / 1000,
        baseline: anchor.seconds,
        unit: "s",
        ratio: Math.round((anchor.seconds / ours) * 1000) / 1000,
        ...extra,
        source: anchor.source,
      })
    }`);
  }
}
