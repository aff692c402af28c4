// Test helper for the reliability tests: real worker processes
// (`deno run main.ts` with ETL_ROLE=worker) on the test's PostgreSQL
// database and data directory, which a test can kill -9, plus polling helpers.

import type { Platform } from "./harness.ts";
import { getRunView, type RunView } from "../lib/engine/run_view.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** A worker process started by a test. */
export interface WorkerProcess {
  pid: number;
  status: Promise<Deno.CommandStatus>;
  /** The last few KB it printed (for failure messages). */
  output(): string;
  /** Sends `signal` (SIGKILL: `kill -9`) and waits for the exit. */
  kill(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/** Options for {@linkcode startWorkerProcess}. */
export interface WorkerProcessOptions {
  /** Extra environment, e.g. `ETL_CRASH_AT`. */
  env?: Record<string, string>;
  /** Seconds before the reaper re-queues a dead worker's jobs (default 3). */
  leaseSeconds?: number;
  /** Instead of the test database's URL (e.g. with an application_name). */
  databaseUrl?: string;
}

/** Starts `main.ts` as a worker of `p`'s database (postgres backend only). */
export function startWorkerProcess(
  p: Platform,
  options: WorkerProcessOptions = {},
): WorkerProcess {
  if (!p.databaseUrl) {
    throw new Error("Cannot start a worker process: not on PostgreSQL");
  }
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN],
    env: {
      ETL_ROLE: "worker",
      DATABASE_URL: options.databaseUrl ?? p.databaseUrl,
      // The same directory: the key file and the staged datasets.
      ETL_DATA_DIR: p.dataDir,
      ETL_LEASE_SECONDS: String(options.leaseSeconds ?? 3),
      ETL_LOG_LEVEL: "warn",
      ...options.env,
    },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let tail = "";
  (async () => {
    for await (
      const text of child.stderr.pipeThrough(new TextDecoderStream())
    ) {
      tail = (tail + text).slice(-4000);
    }
  })().catch(() => {});
  return {
    pid: child.pid,
    status: child.status,
    output: () => tail,
    async kill(signal: Deno.Signal = "SIGKILL") {
      try {
        child.kill(signal);
      } catch {
        // Already gone.
      }
      return await child.status;
    },
  };
}

/** Polls `probe` every 100 ms until it returns a value, for at most `seconds`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  seconds = 60,
): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Gave up waiting (${seconds} s) for ${what}`);
}

/** Waits (bounded) for run `runId` to reach a terminal state. */
export async function waitForRunEnd(
  p: Platform,
  runId: number,
  seconds = 120,
): Promise<RunView> {
  return await waitFor(`run ${runId} to end`, async () => {
    const run = await getRunView(p.services.db, runId);
    return run && ["SUCCESS", "FAILURE", "CANCELLED"].includes(run.status)
      ? run
      : undefined;
  }, seconds);
}

/** POSTs JSON as the admin and returns the parsed body (throws on an error status). */
export async function postJson(
  p: Platform,
  path: string,
  body: unknown,
): Promise<{ id: number }> {
  const response = await p.fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}
