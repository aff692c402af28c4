// `deno task bench pg_to_pg [--rows N]`: copies one PostgreSQL table into the
// warehouse with the platform (a real subprocess: a postgres connector and an
// extract → load pipeline, all through the API) and with a
// `psql \copy to stdout | psql \copy from stdin` pipe, and compares rows per
// second and our peak memory.

import postgres from "postgres";
import { createScratchDatabase } from "../lib/db/test_db.ts";
import {
  descendants,
  type PlatformProcess,
  readMemoryMib,
  startPlatform,
} from "./lib/platform_process.ts";

/** Options of the pg_to_pg benchmark. */
export interface PgToPgOptions {
  rows: number;
  /** Copy the platform's output to stderr. */
  verbose: boolean;
}

/** One loader's measurement. */
interface LoadResult {
  seconds: number;
  rowsPerSecond: number;
}

interface TaskRun {
  step_key: string;
  status: string;
  rows_in: number | null;
  rows_out: number | null;
  error: string | null;
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
}

interface RunView {
  status: string;
  error: string | null;
  created_at: string;
  finished_at: string | null;
  tasks: TaskRun[];
}

/** The platform's measurement. */
interface OursResult extends LoadResult {
  peakRssMib: number;
  idleRssMib: number;
  childPeakRssMib: number;
  serverSeconds: number | null;
  tasks: TaskRun[];
  columns: string;
}

type Sql = ReturnType<typeof postgres>;

const USAGE = "Usage: deno task bench pg_to_pg [--rows N] [--verbose]";
const DEFAULT_ROWS = 5_000_000;
const POLL_MS = 200;
const RUN_TIMEOUT_MS = 30 * 60_000;
const TABLE_COLUMNS =
  "id bigint, name text, amount numeric(12,2), created_at timestamptz, category text, flag boolean";
const PSQL = "psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres";

/** Parses `--rows N` (default 5,000,000; `1_000_000` allowed) and `--verbose`. */
export function parsePgToPgArgs(args: string[]): PgToPgOptions {
  const options: PgToPgOptions = { rows: DEFAULT_ROWS, verbose: false };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split("=", 2);
    if (flag === "--verbose" && inline === undefined) {
      options.verbose = true;
    } else if (flag === "--rows") {
      const value = inline ?? args[++i] ?? "";
      const rows = Number(value.replaceAll("_", ""));
      if (
        !/^\d[\d_]*$/.test(value) || !Number.isSafeInteger(rows) || rows < 1
      ) {
        throw new Error(
          `Cannot run pg_to_pg: --rows "${value}" is not a positive row count, e.g. --rows 1000000`,
        );
      }
      options.rows = rows;
    } else {
      throw new Error(
        `Cannot run pg_to_pg: unknown argument "${args[i]}"\n${USAGE}`,
      );
    }
  }
  return options;
}

const progress = (message: string) => console.error(`[pg_to_pg] ${message}`);
const fmt = (value: number, digits = 0) =>
  value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
const databaseOf = (url: string) => new URL(url).pathname.slice(1);

/** The 1-, 5- and 15-minute load averages, as `/proc/loadavg` prints them. */
async function loadAverage(): Promise<string> {
  const text = await Deno.readTextFile("/proc/loadavg").catch(() => "? ? ?");
  return text.split(" ").slice(0, 3).join(" ");
}

async function sh(script: string, what: string): Promise<string> {
  const output = await new Deno.Command("bash", {
    args: ["-c", `set -euo pipefail; ${script}`],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) +
    new TextDecoder().decode(output.stderr);
  if (!output.success) {
    throw new Error(`${what} failed with exit code ${output.code}:\n${text}`);
  }
  return text;
}

async function checkpoint(sql: Sql) {
  // Flush the previous step's dirty pages so they don't slow the next load.
  await sql`checkpoint`;
}

// Names with a comma, quotes, a tab, a backslash, a newline and non-ASCII text
// now and then (COPY text escaping has to be right), a few NULLs per column,
// negative amounts, timestamps with sub-second parts over several years.
async function fillSource(sql: Sql, rows: number) {
  await sql.unsafe(`create table src (${TABLE_COLUMNS})`);
  await sql.unsafe(
    `insert into src
     select i,
       case when i % 97 = 0 then null
            when i % 10 = 0 then 'Müller, "Ann"' || chr(9) || 'back\\slash' || chr(10) || i
            else 'name ' || i end,
       case when i % 101 = 0 then null
            else ((i * 7919) % 20000000 - 5000000) / 100.0 end,
       case when i % 103 = 0 then null
            else timestamptz '2020-01-01 00:00:00+00' + i * interval '37.125 seconds' end,
       (array['alpha','beta','gamma','delta','epsilon','zeta','eta','theta','iota','kappa'])[i % 10 + 1],
       case when i % 107 = 0 then null else i % 3 = 0 end
     from generate_series(1::bigint, ${rows}) as i`,
  );
  // Set hint bits and statistics now, so the first reader does not pay for it.
  await sql.unsafe("vacuum analyze src");
}

interface Fingerprint {
  /** `count(*)`, `sum(id)`, `sum(amount)`: the check the result must pass. */
  sums: string;
  /** Other columns: NULLs, name lengths, timestamps, categories, flags. */
  rest: string;
}

async function fingerprint(sql: Sql, table: string): Promise<Fingerprint> {
  const [row] = await sql.unsafe(
    `select count(*)::text as rows, sum(id::bigint)::text as ids,
       sum(amount::numeric)::text as amounts,
       sum(length(name::text))::text as names, count(name)::text as named,
       sum(extract(epoch from created_at::timestamptz))::text as times,
       count(created_at)::text as timed, count(amount)::text as amounted,
       string_agg(distinct category::text, ',' order by category::text) as categories,
       count(*) filter (where flag::boolean)::text as flags, count(flag)::text as flagged,
       md5(string_agg(name::text, '|' order by id::bigint) filter (where id::bigint % 1000 = 0)) as sample
     from ${table}`,
  );
  const { rows, ids, amounts, ...rest } = row;
  return {
    sums: JSON.stringify({ rows, ids, amounts }),
    rest: JSON.stringify(rest),
  };
}

async function postJson(
  platform: PlatformProcess,
  path: string,
  body: unknown,
): Promise<Record<string, unknown>> {
  const response = await platform.fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 201) {
    throw new Error(`POST ${path} answered ${response.status}: ${text}`);
  }
  return JSON.parse(text);
}

async function measureOurs(
  options: PgToPgOptions,
  context: { sourceDb: string; url: string; dataDir: string; sql: Sql },
  onStarted: (stop: () => Promise<unknown>) => void,
): Promise<OursResult> {
  progress("starting the platform (deno run --allow-all main.ts)");
  const platform = await startPlatform({
    env: {
      DATABASE_URL: context.url,
      ETL_DATA_DIR: context.dataDir,
      ETL_LOG_LEVEL: "warn",
    },
    echo: options.verbose,
  });
  onStarted(() => platform.stop());
  try {
    const idle = await readMemoryMib(platform.pid);
    await postJson(platform, "/api/v1/connectors", {
      name: "src_pg",
      kind: "postgres",
      config: {
        host: "127.0.0.1",
        port: 5432,
        database: context.sourceDb,
        user: "postgres",
      },
    });
    const pipeline = await postJson(platform, "/api/v1/pipelines", {
      name: "pg_to_pg",
      steps: [
        {
          id: "read",
          type: "extract",
          connector: "src_pg",
          config: { table: "src" },
        },
        {
          id: "load",
          type: "load",
          needs: ["read"],
          connector: "warehouse",
          config: { table: "dst", mode: "append" },
        },
      ],
    });
    await checkpoint(context.sql);
    progress(
      `platform ready at ${platform.url} (pid ${platform.pid}); running pipeline ${pipeline.id}`,
    );
    const started = performance.now();
    const { id: runId } = await postJson(
      platform,
      `/api/v1/pipelines/${pipeline.id}/runs`,
      {},
    );
    let run: RunView | undefined;
    let failures = 0;
    let childPeak = 0;
    while (true) {
      await new Promise((done) => setTimeout(done, POLL_MS));
      try {
        const poll = await platform.fetch(`/api/v1/runs/${runId}`);
        if (poll.status !== 200) {
          throw new Error(`status ${poll.status}: ${await poll.text()}`);
        }
        run = await poll.json() as RunView;
        failures = 0;
      } catch (error) {
        if (++failures >= 25) {
          throw new Error(
            `Cannot follow run ${runId}: ${error}\n${platform.outputTail()}`,
          );
        }
        continue;
      }
      if (["SUCCESS", "FAILURE", "CANCELLED"].includes(run.status)) break;
      if (performance.now() - started > RUN_TIMEOUT_MS) {
        throw new Error(
          `Run ${runId} still ${run.status} after ${
            RUN_TIMEOUT_MS / 60_000
          } minutes`,
        );
      }
      // Sandbox hosts or other helpers, if the platform spawns any, count too.
      for (const pid of await descendants(platform.pid)) {
        childPeak = Math.max(
          childPeak,
          await readMemoryMib(pid).then((m) => m.peak, () => 0),
        );
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const memory = await readMemoryMib(platform.pid);
    if (run.status !== "SUCCESS") {
      const tasks = run.tasks.map((task) =>
        `  ${task.step_key}: ${task.status}${
          task.error ? ` — ${task.error}` : ""
        }`
      ).join("\n");
      throw new Error(
        `The platform's run ${runId} ended ${run.status}: ${
          run.error ?? ""
        }\n${tasks}\n--- platform output ---\n${platform.outputTail()}`,
      );
    }
    await platform.stop();
    const columns = await context.sql`
      select column_name, data_type from information_schema.columns
      where table_schema = 'warehouse' and table_name = 'dst' order by ordinal_position`;
    const server = run.finished_at
      ? (new Date(run.finished_at).getTime() -
        new Date(run.created_at).getTime()) / 1000
      : null;
    return {
      seconds,
      rowsPerSecond: options.rows / seconds,
      peakRssMib: memory.peak,
      idleRssMib: idle.current,
      childPeakRssMib: childPeak,
      serverSeconds: server,
      tasks: run.tasks,
      columns: columns.map((c) => `${c.column_name} ${c.data_type}`).join(", "),
    };
  } finally {
    await platform.stop();
  }
}

/** The pipe's command line, as run (under `set -euo pipefail`). */
export function pipeCommand(sourceDb: string, targetDb: string): string {
  return `${PSQL} -d ${sourceDb} -c '\\copy src to stdout' | ` +
    `${PSQL} -d ${targetDb} -c '\\copy dst from stdin'`;
}

async function measurePipe(
  rows: number,
  sourceDb: string,
  targetDb: string,
  sql: Sql,
): Promise<LoadResult> {
  await sql.unsafe(`create table dst (${TABLE_COLUMNS})`);
  await checkpoint(sql);
  progress("loading with psql \\copy to stdout | psql \\copy from stdin");
  const started = performance.now();
  await sh(pipeCommand(sourceDb, targetDb), "The psql | psql pipe");
  const seconds = (performance.now() - started) / 1000;
  return { seconds, rowsPerSecond: rows / seconds };
}

interface Results {
  rows: number;
  fillSeconds: number;
  ours: OursResult;
  pipe: LoadResult;
  pipeCommand: string;
  load: { before: string; afterOurs: string; afterPipe: string };
  rest: { ours: boolean; pipe: boolean };
}

async function measure(options: PgToPgOptions): Promise<Results> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanUp = async () => {
    while (cleanups.length) {
      await cleanups.pop()!().catch((error) => progress(`cleanup: ${error}`));
    }
  };
  const interrupted = () => {
    progress("interrupted; cleaning up");
    cleanUp().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", interrupted);
  try {
    const tmp = await Deno.makeTempDir({ prefix: "etl_bench_pg_to_pg_" });
    cleanups.push(() => Deno.remove(tmp, { recursive: true }));
    const databases = [];
    for (const role of ["source", "platform", "pipe"]) {
      const scratch = await createScratchDatabase("etl_bench");
      cleanups.push(() => scratch.drop());
      const sql = postgres(scratch.url, { max: 1, onnotice: () => {} });
      cleanups.push(() => sql.end());
      progress(`${role} database ${databaseOf(scratch.url)}`);
      databases.push({ url: scratch.url, name: databaseOf(scratch.url), sql });
    }
    const [source, target, pipeDb] = databases;

    progress(`filling src with ${fmt(options.rows)} rows (generate_series)`);
    const fillStarted = performance.now();
    await fillSource(source.sql, options.rows);
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    const reference = await fingerprint(source.sql, "src");
    await checkpoint(source.sql);

    const before = await loadAverage();
    const ours = await measureOurs(
      options,
      {
        sourceDb: source.name,
        url: target.url,
        dataDir: `${tmp}/data`,
        sql: target.sql,
      },
      (stop) => cleanups.push(stop),
    );
    const afterOurs = await loadAverage();
    const oursPrint = await fingerprint(target.sql, "warehouse.dst");
    if (oursPrint.sums !== reference.sums) {
      throw new Error(
        `The platform's warehouse.dst differs from src: ${oursPrint.sums}, expected ${reference.sums}`,
      );
    }
    // The pipe's reads and writes should not pay for the platform's.
    await target.sql.unsafe("drop table warehouse.dst");
    await checkpoint(target.sql);

    const pipe = await measurePipe(
      options.rows,
      source.name,
      pipeDb.name,
      pipeDb.sql,
    );
    const afterPipe = await loadAverage();
    const pipePrint = await fingerprint(pipeDb.sql, "dst");
    if (pipePrint.sums !== reference.sums) {
      throw new Error(
        `The pipe's dst differs from src: ${pipePrint.sums}, expected ${reference.sums}`,
      );
    }
    return {
      rows: options.rows,
      fillSeconds,
      ours,
      pipe,
      pipeCommand: pipeCommand(source.name, pipeDb.name),
      load: { before, afterOurs, afterPipe },
      rest: {
        ours: oursPrint.rest === reference.rest,
        pipe: pipePrint.rest === reference.rest,
      },
    };
  } finally {
    await cleanUp();
    Deno.removeSignalListener("SIGINT", interrupted);
  }
}

function report(results: Results) {
  const { rows, ours, pipe } = results;
  const line = (name: string, result: LoadResult) =>
    `  ${name.padEnd(5)} ${fmt(result.seconds, 2).padStart(8)} s ${
      fmt(result.rowsPerSecond).padStart(10)
    } rows/s`;
  const seconds = (ms: number | null) =>
    ms === null ? "?" : `${fmt(ms / 1000, 2)} s`;
  const clock = (iso: string | null) => iso?.slice(11, 23) ?? "?";
  console.log(
    `pg_to_pg: ${fmt(rows)} rows (source filled in ${
      fmt(results.fillSeconds, 1)
    } s)`,
  );
  console.log(
    `${line("ours", ours)}   peak RSS ${fmt(ours.peakRssMib, 1)} MiB (${
      fmt(ours.idleRssMib, 1)
    } MiB idle after start${
      ours.childPeakRssMib
        ? `; child processes peak ${fmt(ours.childPeakRssMib, 1)} MiB`
        : ""
    })`,
  );
  for (const task of ours.tasks) {
    console.log(
      `          task ${task.step_key}: ${seconds(task.duration_ms)} (${
        clock(task.started_at)
      } → ${clock(task.finished_at)}), rows in ${task.rows_in ?? "-"}, out ${
        task.rows_out ?? "-"
      }`,
    );
  }
  if (ours.serverSeconds !== null) {
    console.log(
      `          run created → finished (server clock): ${
        fmt(ours.serverSeconds, 2)
      } s`,
    );
  }
  console.log(`          table warehouse.dst: ${ours.columns}`);
  console.log(`${line("pipe", pipe)}   (${results.pipeCommand})`);
  console.log(
    `  ratio (rows/s, ours ÷ pipe): ${
      fmt(ours.rowsPerSecond / pipe.rowsPerSecond, 3)
    }`,
  );
  console.log(
    `  content check: count, sum(id), sum(amount) equal src for ours and pipe; other columns (NULLs, name lengths and sample, created_at, categories, flags): ours ${
      results.rest.ours ? "matches" : "DIFFERS"
    }, pipe ${results.rest.pipe ? "matches" : "DIFFERS"}`,
  );
  console.log(
    `  load average (/proc/loadavg 1/5/15 min): before ${results.load.before}; after ours ${results.load.afterOurs}; after pipe ${results.load.afterPipe}`,
  );
  console.log(
    `BENCH ${
      JSON.stringify({
        name: "pg_to_pg/pipe",
        rows,
        ours: Math.round(ours.rowsPerSecond),
        baseline: Math.round(pipe.rowsPerSecond),
        unit: "rows/s",
        ratio: Math.round((ours.rowsPerSecond / pipe.rowsPerSecond) * 1000) /
          1000,
        peak_rss_mb: Math.round(ours.peakRssMib * 10) / 10,
      })
    }`,
  );
}

/** Runs the benchmark: `args` are the arguments after `pg_to_pg`. */
export async function run(args: string[]): Promise<void> {
  report(await measure(parsePgToPgArgs(args)));
}
