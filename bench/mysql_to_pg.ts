// `deno task bench mysql_to_pg [--rows N]`: copies one MariaDB / MySQL table
// into PostgreSQL with the platform's connectors (in-process: MysqlConnector
// read → PostgresConnector write), with a `mysql | psql \copy` pipe and with
// pgloader, and compares rows per second and our peak memory.

import postgres from "postgres";
import { MysqlConnector } from "../connectors/mysql/mysql_connector.ts";
import {
  mysqlTestConfig,
  randomSuffix,
} from "../connectors/mysql/test_server.ts";
import { PostgresConnector } from "../connectors/postgres/postgres_connector.ts";
import { createScratchDatabase } from "../lib/db/test_db.ts";
import { writeBenchCsv } from "./lib/bench_csv.ts";

/** Options of the mysql_to_pg benchmark. */
export interface MysqlToPgOptions {
  rows: number;
}

interface LoadResult {
  seconds: number;
  rowsPerSecond: number;
}

type Sql = ReturnType<typeof postgres>;

const USAGE = "Usage: deno task bench mysql_to_pg [--rows N]";
const SELECT = "select id, name, amount, created_at, category, flag from bench";
const progress = (message: string) => console.error(`[mysql_to_pg] ${message}`);
const fmt = (value: number, digits = 0) =>
  value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });

/** Parses `--rows N` (default 1,000,000; `1_000_000` allowed). */
export function parseMysqlToPgArgs(args: string[]): MysqlToPgOptions {
  const options = { rows: 1_000_000 };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split("=", 2);
    if (flag !== "--rows") {
      throw new Error(
        `Cannot run mysql_to_pg: unknown argument "${args[i]}"\n${USAGE}`,
      );
    }
    const value = inline ?? args[++i] ?? "";
    const rows = Number(value.replaceAll("_", ""));
    if (!/^\d[\d_]*$/.test(value) || rows < 1) {
      throw new Error(
        `Cannot run mysql_to_pg: --rows "${value}" is not a positive row count, e.g. --rows 200000`,
      );
    }
    options.rows = rows;
  }
  return options;
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

const MYSQL = "mysql -h 127.0.0.1 -P 3306 -u root";
const PSQL = "psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres";

// The CSV bench's rows (names with commas and quotes, zoned timestamps) loaded
// with LOAD DATA LOCAL INFILE, timestamps converted to UTC datetimes.
async function fillSource(database: string, rows: number, tmp: string) {
  const csv = `${tmp}/bench.csv`;
  await writeBenchCsv(csv, rows);
  const sql = `
    create table bench (id bigint primary key, name text, amount decimal(12,2),
      created_at datetime, category varchar(20), flag boolean) engine=InnoDB;
    load data local infile '${csv}' into table bench character set utf8mb4
      fields terminated by ',' optionally enclosed by '"' escaped by ''
      lines terminated by '\\n' ignore 1 lines
      (id, name, amount, @ts, category, @flag)
      set created_at = convert_tz(
            str_to_date(substr(@ts, 1, 23), '%Y-%m-%dT%H:%i:%s.%f'),
            if(substr(@ts, 24) = 'Z', '+00:00', substr(@ts, 24)), '+00:00'),
          flag = (@flag = 'true');
    select count(*) from bench;`;
  await Deno.writeTextFile(`${tmp}/fill.sql`, sql);
  const out = await sh(
    `${MYSQL} --local-infile=1 -N ${database} < '${tmp}/fill.sql'`,
    "Filling the MariaDB table",
  );
  if (Number(out.trim()) !== rows) throw new Error(`Filled ${out} rows`);
}

async function checkpoint(sql: Sql) {
  // Flush the previous load's dirty pages so they don't slow the next one.
  await sql`checkpoint`;
}

async function measureOurs(
  rows: number,
  mysqlDb: string,
  pgUrl: string,
): Promise<LoadResult & { peakRssMib: number; hwmMib: number }> {
  const url = new URL(pgUrl);
  const source = new MysqlConnector(mysqlTestConfig(mysqlDb));
  const target = PostgresConnector.fromConfig({
    host: url.hostname,
    port: Number(url.port || 5432),
    database: url.pathname.slice(1),
    user: decodeURIComponent(url.username || "postgres"),
    password: url.password ? decodeURIComponent(url.password) : undefined,
    ssl: "disable",
    schema: "public",
  });
  let peak = Deno.memoryUsage().rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, Deno.memoryUsage().rss);
  }, 100);
  try {
    progress(
      "loading with ours (MysqlConnector.read → PostgresConnector.write)",
    );
    const started = performance.now();
    const result = await target.write(source.read({ query: SELECT }), {
      table: "bench_ours",
      mode: "append",
    });
    const seconds = (performance.now() - started) / 1000;
    if (result.rowsWritten !== rows) {
      throw new Error(
        `Ours wrote ${result.rowsWritten} rows, expected ${rows}`,
      );
    }
    peak = Math.max(peak, Deno.memoryUsage().rss);
    return {
      seconds,
      rowsPerSecond: rows / seconds,
      peakRssMib: peak / 2 ** 20,
      hwmMib: await vmHwmMib(),
    };
  } finally {
    clearInterval(sampler);
    await source.close();
    await target.close();
  }
}

/** The process's peak resident set (VmHWM), in MiB. */
async function vmHwmMib(): Promise<number> {
  const status = await Deno.readTextFile("/proc/self/status").catch(() => "");
  const kb = Number(status.match(/^VmHWM:\s+(\d+) kB/m)?.[1] ?? 0);
  return kb / 1024;
}

// mysql --batch prints NULL as "NULL", like the text 'NULL': NULLs are
// selected as a NUL character instead, which it prints as \0, COPY's null.
async function measurePipe(
  rows: number,
  mysqlDb: string,
  pgDb: string,
  sql: Sql,
): Promise<LoadResult> {
  await sql.unsafe(
    `create table bench_pipe (id bigint, name text, amount numeric,
       created_at timestamptz, category text, flag boolean)`,
  );
  await checkpoint(sql);
  const nul = (c: string) => `ifnull(${c}, char(0))`;
  const select = `select id, ${nul("name")}, ${nul("amount")}, ${
    nul("created_at")
  }, ${nul("category")}, ${nul("flag")} from bench`;
  progress("loading with mysql --batch --quick | psql \\copy");
  const started = performance.now();
  await sh(
    `${MYSQL} --batch --quick -N ${mysqlDb} -e "${select}" | ` +
      `PGOPTIONS='-c timezone=UTC' ${PSQL} -d ${pgDb} -c "\\copy bench_pipe from stdin with (null '\\0')"`,
    "The mysql | psql pipe",
  );
  const seconds = (performance.now() - started) / 1000;
  const [row] = await sql`select count(*)::int as n from bench_pipe`;
  if (row.n !== rows) throw new Error(`The pipe loaded ${row.n} rows`);
  return { seconds, rowsPerSecond: rows / seconds };
}

async function measurePgloader(
  rows: number,
  mysqlDb: string,
  pgDb: string,
  sql: Sql,
  tmp: string,
): Promise<LoadResult | string> {
  const pgloader = "/usr/bin/pgloader";
  if (!await Deno.stat(pgloader).catch(() => undefined)) {
    return "pgloader is not installed";
  }
  await checkpoint(sql);
  progress("loading with pgloader");
  const started = performance.now();
  try {
    await sh(
      `${pgloader} --root-dir '${tmp}/pgloader' --with "prefetch rows = 10000" ` +
        `mysql://root@127.0.0.1:3306/${mysqlDb} postgresql://postgres@127.0.0.1:5432/${pgDb}`,
      "pgloader",
    );
  } catch (error) {
    return String(error instanceof Error ? error.message : error).slice(-2000);
  }
  const seconds = (performance.now() - started) / 1000;
  const [row] = await sql.unsafe(
    `select count(*)::int as n from "${mysqlDb}".bench`,
  );
  if (row.n !== rows) return `pgloader loaded ${row.n} rows, expected ${rows}`;
  return { seconds, rowsPerSecond: rows / seconds };
}

// Count and sums that typed and text loads must agree on.
async function fingerprint(sql: Sql, table: string): Promise<string> {
  const [row] = await sql.unsafe(
    `select count(*)::text as n, sum(id)::text as ids, sum(amount)::text as amounts,
       sum(extract(epoch from created_at))::text as times,
       sum(length(name))::text as names, count(*) filter (where flag)::text as flags
     from ${table}`,
  );
  return JSON.stringify(row);
}

/** Runs the benchmark: `args` are the arguments after `mysql_to_pg`. */
export async function run(args: string[]): Promise<void> {
  const { rows } = parseMysqlToPgArgs(args);
  const tmp = await Deno.makeTempDir({ prefix: "etl_bench_mysql_to_pg_" });
  const mysqlDb = `etl_bench_${randomSuffix()}`;
  const scratch = await createScratchDatabase("etl_bench");
  const pgDb = new URL(scratch.url).pathname.slice(1);
  const sql = postgres(scratch.url, { max: 1, onnotice: () => {} });
  try {
    await sh(
      `${MYSQL} -e "create database ${mysqlDb}"`,
      "Creating the database",
    );
    progress(`filling ${mysqlDb}.bench with ${fmt(rows)} rows`);
    const fillStarted = performance.now();
    await fillSource(mysqlDb, rows, tmp);
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    // Warm the buffer pool so the first loader does not pay for disk reads.
    await sh(`${MYSQL} -N ${mysqlDb} -e "checksum table bench"`, "Warm-up");
    await checkpoint(sql);
    const ours = await measureOurs(rows, mysqlDb, scratch.url);
    const pipe = await measurePipe(rows, mysqlDb, pgDb, sql);
    const pgloader = await measurePgloader(rows, mysqlDb, pgDb, sql, tmp);
    const same = await fingerprint(sql, "bench_ours") ===
      await fingerprint(sql, "bench_pipe");

    const line = (name: string, r: LoadResult) =>
      `  ${name.padEnd(9)} ${fmt(r.seconds, 2).padStart(8)} s ${
        fmt(r.rowsPerSecond).padStart(10)
      } rows/s`;
    console.log(
      `mysql_to_pg: ${fmt(rows)} rows (source filled in ${
        fmt(fillSeconds, 1)
      } s)`,
    );
    console.log(
      `${line("ours", ours)}   peak RSS ${
        fmt(ours.peakRssMib, 1)
      } MiB sampled, VmHWM ${fmt(ours.hwmMib, 1)} MiB`,
    );
    console.log(
      line("pipe", pipe) + "   (mysql --batch --quick | psql \\copy)",
    );
    if (typeof pgloader === "string") {
      console.log(`  pgloader  skipped: ${pgloader}`);
    } else console.log(line("pgloader", pgloader));
    console.log(
      `  content check (count, sums of id/amount/created_at, name lengths, flags) ours vs pipe: ${
        same ? "matches" : "DIFFERS"
      }`,
    );
    const bench = (baseline: string, r: LoadResult) =>
      `BENCH ${
        JSON.stringify({
          name: `mysql_to_pg/${baseline}`,
          rows,
          ours: Math.round(ours.rowsPerSecond),
          baseline: Math.round(r.rowsPerSecond),
          unit: "rows/s",
          ratio: Math.round((ours.rowsPerSecond / r.rowsPerSecond) * 1000) /
            1000,
          peak_rss_mb: Math.round(ours.peakRssMib * 10) / 10,
        })
      }`;
    console.log(bench("pipe", pipe));
    if (typeof pgloader !== "string") console.log(bench("pgloader", pgloader));
  } finally {
    await sql.end();
    await scratch.drop().catch((e) => progress(`cleanup: ${e}`));
    await sh(`${MYSQL} -e "drop database if exists ${mysqlDb}"`, "Dropping")
      .catch((e) => progress(`cleanup: ${e}`));
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}
