import assert from "node:assert/strict";
import { SandboxProcess } from "./sandbox_process.ts";
import { SandboxPool } from "./sandbox_pool.ts";
import { LOG_CAP_BYTES, SandboxSession } from "./sandbox_session.ts";
import type { Column, RecordBatch } from "../../connectors/types.ts";
import { decodeCopyText } from "../dataset/copy_decode.ts";
import type { SandboxInit } from "../../workers/sandbox_protocol.ts";

const columns: Column[] = [
  { name: "id", type: "bigint" },
  { name: "name", type: "text" },
  { name: "qty", type: "bigint" },
];

async function* rows(
  count: number,
  perBatch = 1000,
): AsyncGenerator<RecordBatch> {
  for (let start = 0; start < count; start += perBatch) {
    let text = "";
    for (let i = start; i < Math.min(count, start + perBatch); i++) {
      text += `${i}\tname ${i}\\twith tab\t${i % 7}\n`;
    }
    yield { columns, rows: [], copyText: text };
  }
}

interface Run {
  rows: unknown[][];
  columns: Column[];
  logs: string[];
  error?: string;
}

async function runCode(
  code: string,
  options: Partial<SandboxInit> & {
    count?: number;
    memoryMb?: number;
    signal?: AbortSignal;
  } = {},
): Promise<Run> {
  const host = new SandboxProcess({
    memoryMb: options.memoryMb ?? 256,
    allowNet: options.allowNet ?? [],
  });
  const logs: string[] = [];
  const session = new SandboxSession({
    host,
    init: {
      stepId: "t",
      code,
      language: options.language ?? "typescript",
      mode: options.mode ?? "row",
      params: { factor: 10 },
      run: { id: 7, pipeline: "p", scheduled_date: "2026-01-02" },
      columns,
      allowNet: options.allowNet ?? [],
    },
    input: rows(options.count ?? 5),
    signal: options.signal,
    log: (level, message) => {
      logs.push(`${level}: ${message}`);
    },
  });
  let text = "";
  try {
    for await (const batch of session.outputs()) {
      text += new TextDecoder().decode(batch.copyBytes);
    }
  } catch (error) {
    return {
      rows: [],
      columns: [],
      logs,
      error: String((error as Error).message ?? error),
    };
  }
  const out = session.outcome!;
  return {
    rows: decodeCopyText(text, out.columns),
    columns: out.columns,
    logs,
  };
}

Deno.test("a TypeScript row function maps rows and reads ctx", async () => {
  const run = await runCode(`
    interface Row { id: number; name: string; qty: number }
    export default (row: Row, ctx) => {
      if (row.id === 0) ctx.log("first " + ctx.run.pipeline + " " + ctx.run.scheduled_date);
      return { id: row.id, name: row.name, total: row.qty * (ctx.params.factor as number), half: row.id / 2 };
    };`);
  assert.equal(run.error, undefined);
  assert.deepEqual(run.columns, [
    { name: "id", type: "bigint" },
    { name: "name", type: "text" },
    { name: "total", type: "bigint" },
    { name: "half", type: "double" },
  ]);
  assert.deepEqual(run.rows[1], [1, "name 1\twith tab", 10, 0.5]);
  assert.equal(run.rows.length, 5);
  assert.deepEqual(run.logs, ["info: first p 2026-01-02"]);
});

Deno.test("a row function filters with null and fans out with arrays", async () => {
  const run = await runCode(
    `export default (row) => row.id % 2 ? null : [{ id: row.id, copy: 1 }, { id: row.id, copy: 2 }];`,
    { language: "javascript", count: 2500 },
  );
  assert.equal(run.error, undefined);
  assert.equal(run.rows.length, 2500);
  assert.deepEqual(run.rows.slice(0, 3), [[0, 1], [0, 2], [2, 1]]);
});

Deno.test("a batch function returns rows for the whole batch", async () => {
  const run = await runCode(
    `export default async (rows: { id: number }[]) => [{ count: rows.length, first: rows[0].id }];`,
    { mode: "batch", count: 2500 },
  );
  assert.equal(run.error, undefined);
  assert.deepEqual(run.rows, [[1000, 0], [1000, 1000], [500, 2000]]);
});

Deno.test("a syntax error names its line and column", async () => {
  const run = await runCode(
    `export default (row) => {\n  let x = ;\n  return row;\n};`,
  );
  assert.match(run.error!, /syntax error at line 2:\d+/);
});

Deno.test("a runtime error names the line in the step's code", async () => {
  const run = await runCode(
    `export default (row) => {\n  return row.nope.deeper;\n};`,
  );
  assert.match(run.error!, /TypeError: .*undefined.*\(at line 2:\d+\)/);
});

Deno.test("a row with a field the first rows did not have fails clearly", async () => {
  const run = await runCode(
    `export default (row) => row.id < 1000 ? { id: row.id } : { id: row.id, late: 1 };`,
    { count: 2000 },
  );
  assert.match(run.error!, /field "late" that the first rows did not have/);
});

Deno.test("the sandbox forbids files, env, processes, FFI and remote imports", async () => {
  const cases: [string, RegExp][] = [
    [`Deno.readTextFileSync("/etc/hostname")`, /Requires read access/],
    [`Deno.env.get("HOME")`, /Requires env access/],
    [`Deno.writeTextFileSync("/tmp/escape.txt", "x")`, /Requires write access/],
    [`new Deno.Command("ls").outputSync()`, /Requires run access/],
    [`Deno.dlopen("libc.so.6", {})`, /Requires ffi access/],
    [`Deno.hostname()`, /Requires sys access/],
  ];
  for (const [statement, reason] of cases) {
    const run = await runCode(
      `export default (row) => { ${statement}; return row; };`,
    );
    assert.match(run.error ?? "no error", reason, statement);
    assert.match(run.error!, /the sandbox forbids it/);
  }
  const remote = await runCode(
    `import x from "https://example.com/mod.ts";\nexport default (row) => row;`,
  );
  assert.match(
    remote.error!,
    /may not import "https:\/\/example.com\/mod.ts" \(line 1\)/,
  );
  const dynamic = await runCode(
    `export default async (row) => { const m = "npm:" + "left-pad"; await import(m); return row; };`,
  );
  assert.match(dynamic.error!, /step code may not import npm packages/);
});

Deno.test("fetch reaches only the hosts in allow_net", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => Response.json({ rate: 3 }),
  );
  const address = `127.0.0.1:${server.addr.port}`;
  try {
    const code = `export default async (row) => {
      const { rate } = await (await fetch("http://${address}/")).json();
      return { id: row.id, rate };
    };`;
    const denied = await runCode(code, { count: 1 });
    assert.match(
      denied.error!,
      /Requires net access to "127.0.0.1:\d+".*allow_net/,
    );
    const allowed = await runCode(code, { count: 2, allowNet: [address] });
    assert.equal(allowed.error, undefined);
    assert.deepEqual(allowed.rows, [[0, 3], [1, 3]]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("an out-of-memory in the code is reported as such", async () => {
  const run = await runCode(
    `export default (row) => { const keep = []; for (;;) keep.push(new Array(1e6).fill(row.id)); };`,
    { memoryMb: 64 },
  );
  assert.match(run.error!, /^out of memory/);
});

Deno.test("buffers outside the heap are bounded too", async () => {
  const run = await runCode(
    `export default (row) => { const keep = []; for (;;) keep.push(new Uint8Array(2 ** 28).fill(1)); };`,
    { memoryMb: 64 },
  );
  assert.match(run.error!, /^out of memory: .*more than 384 MB/);
});

Deno.test("an abort kills a busy loop", async () => {
  const controller = new AbortController();
  const run = runCode(`export default (row) => { for (;;) {} };`, {
    signal: controller.signal,
  });
  setTimeout(() => controller.abort(new Error("stopped")), 500);
  assert.equal((await run).error, "stopped");
});

Deno.test("printing gigabytes is truncated to the log cap", async () => {
  const run = await runCode(
    `export default (row) => { const line = "x".repeat(1 << 20); for (let i = 0; i < 3000; i++) console.log(line); return row; };`,
    { count: 1 },
  );
  assert.equal(run.error, undefined);
  assert.equal(run.rows.length, 1);
  const bytes = run.logs.reduce((sum, line) => sum + line.length, 0);
  assert(bytes < LOG_CAP_BYTES + 200, `log kept ${bytes} bytes`);
  assert.match(run.logs.at(-1)!, /log truncated/);
});

Deno.test("the pool hands out warm hosts and refills", async () => {
  const pool = new SandboxPool({ size: 1, memoryMb: 128 });
  try {
    const first = pool.acquire();
    assert.equal(first.warm, false);
    const second = pool.acquire();
    assert.equal(second.warm, true);
    const net = pool.acquire({ allowNet: ["example.com"] });
    assert.equal(net.warm, false);
    for (const { host } of [first, second, net]) {
      host.kill();
      await host.closed();
    }
  } finally {
    await pool.close();
  }
});

Deno.test("a large fan-out streams out in bounded chunks", async () => {
  const run = await runCode(
    `export default (row) => Array.from({ length: 50_000 }, (_, i) => ({ id: row.id, i }));`,
    { count: 10, memoryMb: 128 },
  );
  assert.equal(run.error, undefined);
  assert.equal(run.rows.length, 500_000);
  assert.deepEqual(run.rows.at(-1), [9, 49_999]);
});

Deno.test("many short log lines are cut at the line cap", async () => {
  const run = await runCode(
    `export default (row) => { for (let i = 0; i < 20_000; i++) console.log(i); return row; };`,
    { count: 1 },
  );
  assert.equal(run.error, undefined);
  assert.equal(run.logs.length, 10_001);
  assert.match(run.logs.at(-1)!, /log truncated: .* 10000 lines/);
});

Deno.test("a forged frame with a huge body is refused, not read", async () => {
  const run = await runCode(
    `export default (row) => { self.postMessage({ header: { t: "rows", count: 1 }, body: new Uint8Array(300 * 1024 * 1024) }); return row; };`,
    { count: 1, memoryMb: 1024 },
  );
  assert.match(run.error!, /over the 268435456-byte limit/);
});

Deno.test("the code may not end its Worker", async () => {
  for (const call of ["Deno.exit(3)", "self.close()"]) {
    const run = await runCode(`export default (row) => { ${call}; };`, {
      count: 1,
    });
    assert.match(
      run.error!,
      /the step code may not call (Deno\.exit|close)\(\)/,
    );
  }
});

Deno.test("a host that dies names its exit status", async () => {
  const host = new SandboxProcess({ memoryMb: 64, allowNet: [] });
  Deno.kill(host.pid, "SIGTERM");
  assert.match(
    await host.exitReason(),
    /^sandbox (exited with code \d+|was killed by SIGTERM)/,
  );
});
