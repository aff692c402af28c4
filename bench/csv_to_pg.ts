// `deno task bench csv_to_pg [--rows N]`: loads one generated CSV into
// PostgreSQL with the platform (a real subprocess, through the API) and with
// psql's \copy and pgloader, and compares rows per second.

import postgres from "postgres";
import { createScratchDatabase } from "../lib/db/test_db.ts";
import {
  BENCH_CSV_COLUMNS,
  BENCH_CSV_TYPES,
  writeBenchCsv,
} from "./lib/bench_csv.ts";
import {
  descendants,
  readMemoryMib,
  startPlatform,
} from "./lib/platform_process.ts";

/** Options of the csv_to_pg benchmark. */
export interface CsvToPgOptions {
  rows: number;
  /** Copy the platform's output to stderr. */
  verbose: boolean;
}

/** One loader's measurement. */
interface LoadResult {
  seconds: number;
  rowsPerSecond: number;
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

type Sql = ReturnType<typeof postgres>;

const USAGE = "Usage: deno task bench csv_to_pg [--rows N] [--verbose]";
const POLL_MS = 200;
const RUN_TIMEOUT_MS = 30 * 60_000;

/** Parses `--rows N` (default 1,000,000; `1_000_000` allowed) and `--verbose`. */
export function parseCsvToPgArgs(args: string[]): CsvToPgOptions {
  const options: CsvToPgOptions = { rows: 1_000_000, verbose: false };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split("=", 2);
    if (flag === "--verbose") {
      options.verbose = true;
    } else if (flag === "--rows") {
      const value = inline ?? args[++i];
      if (
        !value || !/^\d[\d_]*$/.test(value) ||
        Number(value.replaceAll("_", "")) < 1
      ) {
        throw new Error(
          `Cannot run csv_to_pg: --rows "${
            value ?? ""
          }" is not a positive row count, e.g. --rows 200000`,
        );
      }
      options.rows = Number(value.replaceAll("_", ""));
    } else {
      throw new Error(
        `Cannot run csv_to_pg: unknown argument "${args[i]}"\n${USAGE}`,
      );
    }
  }
  return options;
}

const progress = (message: string) => console.error(`[csv_to_pg] ${message}`);
const fmt = (value: number, digits = 0) =>
  value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });

async function countRows(sql: Sql, table: string): Promise<number> {
  const [row] = await sql.unsafe(`select count(*)::bigint as n from ${table}`);
  return Number(row.n);
}

async function expectRows(sql: Sql, table: string, rows: number, who: string) {
  const count = await countRows(sql, table);
  if (count !== rows) {
    throw new Error(
      `${who} loaded ${fmt(count)} rows into ${table}, expected ${fmt(rows)}`,
    );
  }
}

// A fingerprint of a table's content, cast so that typed and text columns compare.
async function fingerprint(sql: Sql, table: string): Promise<string> {
  const [row] = await sql.unsafe(
    `select count(*)::text as rows, sum(id::bigint)::text as ids,
       sum(amount::numeric)::text as amounts,
       sum(extract(epoch from created_at::timestamptz))::text as times,
       sum(length(name::text))::text as names, string_agg(distinct category::text, ',' order by category::text) as categories,
       count(*) filter (where flag::boolean)::text as flags
     from ${table}`,
  );
  return JSON.stringify(row);
}

async function checkpoint(sql: Sql) {
  // Flush the previous load's dirty pages so they don't slow the next one.
  await sql`checkpoint`;
}

async function runCommand(command: string, args: string[], what: string) {
  const output = await new Deno.Command(command, {
    args,
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

async function measureOurs(
  options: CsvToPgOptions,
  context: {
    url: string;
    dataDir: string;
    csvDir: string;
    csv: string;
    sql: Sql;
  },
  onStarted: (stop: () => Promise<unknown>) => void,
): Promise<OursResult> {
  progress("starting the platform (deno run --allow-all main.ts)");
  const platform = await startPlatform({
    env: {
      DATABASE_URL: context.url,
      ETL_DATA_DIR: context.dataDir,
      ETL_FILE_ROOTS: context.csvDir,
      ETL_LOG_LEVEL: "warn",
    },
    echo: options.verbose,
  });
  onStarted(() => platform.stop());
  try {
    const idle = await readMemoryMib(platform.pid);
    await checkpoint(context.sql);
    progress(
      `platform ready at ${platform.url} (pid ${platform.pid}); loading`,
    );
    const started = performance.now();
    const response = await platform.fetch(`/api/v1/csv-loads`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        path: context.csv,
        connector: "warehouse",
        table: "bench_ours",
        mode: "append",
      }),
    });
    const body = await response.text();
    if (response.status !== 201) {
      throw new Error(
        `POST /api/v1/csv-loads answered ${response.status}: ${body}`,
      );
    }
    const runId = JSON.parse(body).run_id as number;
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
      )
        .join("\n");
      throw new Error(
        `The platform's run ${runId} ended ${run.status}: ${
          run.error ?? ""
        }\n${tasks}\n--- platform output ---\n${platform.outputTail()}`,
      );
    }
    await platform.stop();
    await expectRows(
      context.sql,
      "warehouse.bench_ours",
      options.rows,
      "The platform",
    );
    const columns = await context.sql`
      select column_name, data_type from information_schema.columns
      where table_schema = 'warehouse' and table_name = 'bench_ours' order by ordinal_position`;
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

const TABLE_COLUMNS = BENCH_CSV_COLUMNS.map((column, i) =>
  `${column} ${BENCH_CSV_TYPES[i]}`
).join(", ");

async function measurePsql(
  rows: number,
  url: string,
  csv: string,
  sql: Sql,
): Promise<LoadResult> {
  await sql.unsafe(`create table bench_psql (${TABLE_COLUMNS})`);
  await checkpoint(sql);
  const database = new URL(url).pathname.slice(1);
  progress("loading with psql \\copy");
  const started = performance.now();
  await runCommand("psql", [
    "-X",
    "-q",
    "-v",
    "ON_ERROR_STOP=1",
    "-h",
    "127.0.0.1",
    "-U",
    "postgres",
    "-d",
    database,
    "-c",
    `\\copy bench_psql from '${
      csv.replaceAll("'", "''")
    }' with (format csv, header true)`,
  ], "psql \\copy");
  const seconds = (performance.now() - started) / 1000;
  await expectRows(sql, "bench_psql", rows, "psql");
  return { seconds, rowsPerSecond: rows / seconds };
}

/** The pgloader executable on PATH, if installed. */
async function findPgloader(): Promise<string | undefined> {
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin").split(":")) {
    const path = `${dir}/pgloader`;
    const info = await Deno.stat(path).catch(() => undefined);
    if (info?.isFile) return path;
  }
  return undefined;
}

async function measurePgloader(
  pgloader: string,
  rows: number,
  context: { url: string; csv: string; tmp: string; sql: Sql },
): Promise<LoadResult> {
  const database = new URL(context.url).pathname.slice(1);
  const commands = `${context.tmp}/bench.load`;
  await Deno.writeTextFile(
    commands,
    `LOAD CSV
  FROM '${context.csv}' (${BENCH_CSV_COLUMNS.join(", ")})
  INTO postgresql://postgres@127.0.0.1:5432/${database}
  TARGET TABLE bench_pgloader
  WITH skip header = 1,
       fields optionally enclosed by '"',
       fields escaped by double-quote,
       fields terminated by ','
  BEFORE LOAD DO
    $$ create table bench_pgloader (${TABLE_COLUMNS}); $$;
`,
  );
  await checkpoint(context.sql);
  progress("loading with pgloader");
  const started = performance.now();
  await runCommand(pgloader, [
    "--root-dir",
    `${context.tmp}/pgloader`,
    commands,
  ], "pgloader");
  const seconds = (performance.now() - started) / 1000;
  await expectRows(context.sql, "bench_pgloader", rows, "pgloader");
  return { seconds, rowsPerSecond: rows / seconds };
}

interface Results {
  rows: number;
  csvBytes: number;
  generateSeconds: number;
  ours: OursResult;
  psql: LoadResult;
  pgloader?: LoadResult;
  oursMatchesPsql: boolean;
  pgloaderMatchesPsql?: boolean;
}

async function measure(options: CsvToPgOptions): Promise<Results> {
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
    const tmp = await Deno.realPath(
      await Deno.makeTempDir({ prefix: "etl_bench_csv_to_pg_" }),
    );
    cleanups.push(() => Deno.remove(tmp, { recursive: true }));
    const csvDir = `${tmp}/csv`;
    await Deno.mkdir(csvDir);
    const csv = `${csvDir}/bench.csv`;
    progress(`writing ${fmt(options.rows)} rows to ${csv}`);
    const started = performance.now();
    const csvBytes = await writeBenchCsv(csv, options.rows);
    const generateSeconds = (performance.now() - started) / 1000;

    const scratch = await createScratchDatabase("etl_bench");
    cleanups.push(() => scratch.drop());
    const sql = postgres(scratch.url, { max: 1, onnotice: () => {} });
    cleanups.push(() => sql.end());
    progress(`scratch database ${new URL(scratch.url).pathname.slice(1)}`);

    const ours = await measureOurs(
      options,
      { url: scratch.url, dataDir: `${tmp}/data`, csvDir, csv, sql },
      (stop) => cleanups.push(stop),
    );
    const psql = await measurePsql(options.rows, scratch.url, csv, sql);
    const pgloaderPath = await findPgloader();
    const pgloader = pgloaderPath
      ? await measurePgloader(pgloaderPath, options.rows, {
        url: scratch.url,
        csv,
        tmp,
        sql,
      })
      : undefined;

    progress("comparing table contents");
    const reference = await fingerprint(sql, "bench_psql");
    return {
      rows: options.rows,
      csvBytes,
      generateSeconds,
      ours,
      psql,
      pgloader,
      oursMatchesPsql:
        await fingerprint(sql, "warehouse.bench_ours") === reference,
      pgloaderMatchesPsql: pgloader
        ? await fingerprint(sql, "bench_pgloader") === reference
        : undefined,
    };
  } finally {
    await cleanUp();
    Deno.removeSignalListener("SIGINT", interrupted);
  }
}

function report(results: Results) {
  const { rows, ours, psql, pgloader } = results;
  const line = (name: string, result: LoadResult) =>
    `  ${name.padEnd(9)} ${fmt(result.seconds, 2).padStart(8)} s ${
      fmt(result.rowsPerSecond).padStart(10)
    } rows/s`;
  const seconds = (ms: number | null) =>
    ms === null ? "?" : `${fmt(ms / 1000, 2)} s`;
  console.log(
    `csv_to_pg: ${fmt(rows)} rows, ${
      fmt(results.csvBytes / 2 ** 20, 1)
    } MiB CSV (generated in ${fmt(results.generateSeconds, 1)} s)`,
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
      `              task ${task.step_key}: ${
        seconds(task.duration_ms)
      }, rows in ${task.rows_in ?? "-"}, out ${task.rows_out ?? "-"}`,
    );
  }
  if (ours.serverSeconds !== null) {
    console.log(
      `              run created → finished (server clock): ${
        fmt(ours.serverSeconds, 2)
      } s`,
    );
  }
  console.log(`              table warehouse.bench_ours: ${ours.columns}`);
  console.log(line("psql", psql) + "   (\\copy, table created beforehand)");
  if (pgloader) console.log(line("pgloader", pgloader));
  else console.log("  pgloader  skipped: pgloader is not installed");
  console.log(
    `  ratio (rows/s, ours ÷ baseline): psql ${
      fmt(ours.rowsPerSecond / psql.rowsPerSecond, 3)
    }${
      pgloader
        ? `, pgloader ${fmt(ours.rowsPerSecond / pgloader.rowsPerSecond, 3)}`
        : ""
    }`,
  );
  console.log(
    `  content check (count, sums of id/amount/created_at, name lengths, categories, flags) vs psql: ours ${
      results.oursMatchesPsql ? "matches" : "DIFFERS"
    }${
      pgloader
        ? `, pgloader ${results.pgloaderMatchesPsql ? "matches" : "DIFFERS"}`
        : ""
    }`,
  );
  const bench = (baseline: string, result: LoadResult) =>
    `BENCH ${
      JSON.stringify({
        name: `csv_to_pg/${baseline}`,
        rows,
        ours: Math.round(ours.rowsPerSecond),
        baseline: Math.round(result.rowsPerSecond),
        unit: "rows/s",
        ratio: Math.round((ours.rowsPerSecond / result.rowsPerSecond) * 1000) /
          1000,
        peak_rss_mb: Math.round(ours.peakRssMib * 10) / 10,
      })
    }`;
  console.log(bench("psql", psql));
  if (pgloader) console.log(bench("pgloader", pgloader));
}

/** Runs the benchmark: `args` are the arguments after `csv_to_pg`. */
export async function run(args: string[]): Promise<void> {
  const options = parseCsvToPgArgs(args);
  report(await measure(options));
}
