// `deno task bench transform [--rows N]`: N rows (default 1,000,000) through
// a sandboxed TypeScript row map — a warm sandbox host subprocess and its Web
// Worker, fed batches of COPY text as a transform step is — against the same
// map run in-process without a sandbox (same decode, call and encode code),
// in the same run. Also measures how long a sandbox takes to start and load
// the step's code: warm (from the pool) and cold (a new process).

import type { Column, RecordBatch } from "../connectors/types.ts";
import { SandboxPool } from "../lib/sandbox/sandbox_pool.ts";
import { SandboxProcess } from "../lib/sandbox/sandbox_process.ts";
import { SandboxSession } from "../lib/sandbox/sandbox_session.ts";
import { RowTransform } from "../workers/sandbox_worker.ts";

const USAGE = "Usage: deno task bench transform [--rows N]";
const BATCH_ROWS = 10_000;
const START_SAMPLES = 21;

const CODE = `
interface Order { id: number; qty: number; price: number; note: string }
export default (row: Order) => ({
  id: row.id,
  note: row.note,
  total: row.qty * row.price,
  big: row.qty > 3,
});`;

const COLUMNS: Column[] = [
  { name: "id", type: "bigint" },
  { name: "qty", type: "bigint" },
  { name: "price", type: "double" },
  { name: "note", type: "text" },
];

/** Parses `--rows N` (default 1,000,000; `1_000_000` allowed). */
export function parseTransformArgs(args: string[]): { rows: number } {
  let rows = 1_000_000;
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].split("=", 2);
    if (flag !== "--rows") {
      throw new Error(
        `Cannot run transform: unknown argument "${args[i]}"\n${USAGE}`,
      );
    }
    const value = inline ?? args[++i];
    const parsed = Number(value?.replaceAll("_", ""));
    if (!value || !/^[0-9_]+$/.test(value) || !(parsed > 0)) {
      throw new Error(
        `Cannot run transform: --rows "${value}" is not a positive row count, e.g. --rows 1000000`,
      );
    }
    rows = parsed;
  }
  return { rows };
}

function makeBatches(rows: number): Uint8Array[] {
  const encoder = new TextEncoder();
  const batches: Uint8Array[] = [];
  for (let start = 0; start < rows; start += BATCH_ROWS) {
    let text = "";
    const end = Math.min(rows, start + BATCH_ROWS);
    for (let id = start; id < end; id++) {
      text += `${id}\t${id % 7}\t${(id % 1000) / 4}\torder number ${id}\n`;
    }
    batches.push(encoder.encode(text));
  }
  return batches;
}

async function* asBatches(
  batches: Uint8Array[],
): AsyncGenerator<RecordBatch> {
  for (const bytes of batches) {
    yield { columns: COLUMNS, rows: [], copyBytes: bytes };
  }
}

const INIT = {
  stepId: "bench",
  code: CODE,
  language: "typescript" as const,
  mode: "row" as const,
  params: {},
  run: { id: 1, pipeline: "bench", scheduled_date: "2026-01-01" },
  columns: COLUMNS,
  allowNet: [],
};

interface Throughput {
  seconds: number;
  rowsPerSecond: number;
  rowsOut: number;
  outBytes: number;
}

async function sandboxed(
  pool: SandboxPool,
  batches: Uint8Array[],
  rows: number,
): Promise<Throughput> {
  const started = performance.now();
  const { host } = pool.acquire();
  const session = new SandboxSession({
    host,
    init: INIT,
    input: asBatches(batches),
    log: () => {},
  });
  let outBytes = 0;
  for await (const batch of session.outputs()) {
    outBytes += batch.copyBytes!.length;
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    seconds,
    rowsPerSecond: rows / seconds,
    rowsOut: session.outcome!.rowsOut,
    outBytes,
  };
}

async function inProcess(
  batches: Uint8Array[],
  rows: number,
): Promise<Throughput> {
  const started = performance.now();
  const module = await import(
    `data:application/typescript;base64,${btoa(CODE)}`
  );
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  let outBytes = 0;
  const transform = new RowTransform(module.default, {
    mode: "row",
    ctx: { params: {}, log: () => {}, run: INIT.run },
    columns: COLUMNS,
    emit: (text) => {
      outBytes += encoder.encode(text).length;
    },
  });
  for (const bytes of batches) {
    await transform.process(decoder.decode(bytes));
    await transform.flush();
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    seconds,
    rowsPerSecond: rows / seconds,
    rowsOut: transform.rowsOut,
    outBytes,
  };
}

/** Milliseconds from taking a host to the step's code being loaded in it. */
async function startMs(host: SandboxProcess): Promise<number> {
  const started = performance.now();
  let ready = 0;
  const session = new SandboxSession({
    host,
    init: { ...INIT, code: "export default (row) => row;" },
    input: asBatches([]),
    log: () => {},
    onReady: () => ready = performance.now(),
  });
  for await (const _ of session.outputs()) { /* no rows */ }
  return ready - started;
}

function p50(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the benchmark: `args` are the arguments after `transform`. */
export async function run(args: string[]): Promise<void> {
  const { rows } = parseTransformArgs(args);
  const batches = makeBatches(rows);
  const pool = new SandboxPool({ size: 2, memoryMb: 512 });
  try {
    // Fill the pool and let its hosts boot before anything is timed.
    pool.acquire().host.kill();
    await sleep(1500);
    console.error("transform: starting sandboxes (warm)…");
    const warm: number[] = [];
    for (let i = 0; i < START_SAMPLES; i++) {
      const { host, warm: wasWarm } = pool.acquire();
      if (!wasWarm) throw new Error("Cannot measure a warm start: pool empty");
      warm.push(await startMs(host));
      await sleep(400); // the replacement boots, as between steps
    }
    console.error("transform: starting sandboxes (cold)…");
    const cold: number[] = [];
    for (let i = 0; i < START_SAMPLES; i++) {
      cold.push(
        await startMs(new SandboxProcess({ memoryMb: 512, allowNet: [] })),
      );
    }
    console.error("transform: in-process baseline…");
    const baseline = await inProcess(batches, rows);
    await sleep(500);
    console.error("transform: sandboxed…");
    const ours = await sandboxed(pool, batches, rows);
    if (ours.outBytes !== baseline.outBytes || ours.rowsOut !== rows) {
      throw new Error(
        `Cannot trust the transform benchmark: the sandbox wrote ${ours.rowsOut} rows (${ours.outBytes} bytes), in-process ${baseline.rowsOut} (${baseline.outBytes} bytes)`,
      );
    }
    const fmt = (n: number, digits = 0) =>
      n.toLocaleString("en-US", { maximumFractionDigits: digits });
    console.log(
      `transform: ${fmt(rows)} rows, TypeScript row map, batches of ${
        fmt(BATCH_ROWS)
      }`,
    );
    console.log(
      `  sandboxed   ${fmt(ours.seconds, 2).padStart(6)} s ${
        fmt(ours.rowsPerSecond).padStart(10)
      } rows/s (host subprocess + Worker; output identical)`,
    );
    console.log(
      `  in-process  ${fmt(baseline.seconds, 2).padStart(6)} s ${
        fmt(baseline.rowsPerSecond).padStart(10)
      } rows/s (same decode, map and encode, no sandbox)`,
    );
    const ratio = ours.rowsPerSecond / baseline.rowsPerSecond;
    console.log(`  ratio (rows/s, sandboxed ÷ in-process): ${fmt(ratio, 3)}`);
    console.log(
      `  sandbox start to code loaded, p50 of ${START_SAMPLES}: warm ${
        fmt(p50(warm), 1)
      } ms, cold ${fmt(p50(cold), 1)} ms`,
    );
    console.log(
      `BENCH ${
        JSON.stringify({
          name: "transform/in-process",
          rows,
          ours: Math.round(ours.rowsPerSecond),
          baseline: Math.round(baseline.rowsPerSecond),
          unit: "rows/s",
          ratio: Math.round(ratio * 1000) / 1000,
          start_warm_p50_ms: Math.round(p50(warm) * 10) / 10,
          start_cold_p50_ms: Math.round(p50(cold) * 10) / 10,
        })
      }`,
    );
  } finally {
    await pool.close();
  }
}
