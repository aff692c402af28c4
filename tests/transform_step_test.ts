// Transform steps end to end: TypeScript/JavaScript code in the sandbox maps,
// filters and fans out rows between an extract and a load; and every escape a
// step's code might try fails that TaskRun with a clear reason while the
// server keeps answering /api/v1/health.

import assert from "node:assert/strict";
import { type Platform, startPlatform } from "./harness.ts";
import { getRunView, type RunView } from "../lib/engine/run_view.ts";

async function post(p: Platform, path: string, body?: unknown) {
  const response = await p.fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.status < 300, `${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

async function sourceTable(p: Platform, rows = 50) {
  await p.services.db.query(
    `create table warehouse.orders_src as
     select g as id, g % 5 as qty, (g * 1.5)::float8 as price, 'order ' || g as note
     from generate_series(1, ${rows}) g`,
  );
}

/** A pipeline: orders (extract) → the transform → load into `table`. */
function pipeline(
  name: string,
  transform: Record<string, unknown>,
  table = name,
) {
  return {
    name,
    steps: [
      {
        id: "orders",
        type: "extract",
        connector: "warehouse",
        config: { query: "select * from warehouse.orders_src order by id" },
      },
      { id: "enrich", type: "transform", needs: ["orders"], ...transform },
      {
        id: "load",
        type: "load",
        needs: ["enrich"],
        connector: "warehouse",
        config: { table, mode: "replace" },
      },
    ],
  };
}

async function runPipeline(
  p: Platform,
  definition: ReturnType<typeof pipeline>,
): Promise<RunView> {
  const { id } = await post(p, "/api/v1/pipelines", definition);
  const run = await post(p, `/api/v1/pipelines/${id}/runs`, {});
  return await p.waitForRun(run.id);
}

function task(run: RunView, step: string) {
  return run.tasks.find((t) => t.step_key === step)!;
}

async function taskLog(p: Platform, run: RunView, step: string) {
  const response = await p.fetch(
    `/api/v1/runs/${run.id}/tasks/${task(run, step).id}/logs`,
  );
  return await response.text();
}

Deno.test("a TypeScript row transform maps, filters and fans out rows into the loaded table", async () => {
  await using p = await startPlatform();
  await sourceTable(p);
  const run = await runPipeline(
    p,
    pipeline("row_map", {
      language: "typescript",
      code: `
        interface Order { id: number; qty: number; price: number; note: string }
        export default (row: Order, ctx): object | object[] | null => {
          if (row.qty === 0) return null;              // filter
          const total: number = row.qty * row.price;
          if (row.id === 1) ctx.log(\`first row of run \${ctx.run.id}\`);
          console.log("seen", row.id);
          const out = { id: row.id, total, label: row.note.toUpperCase() };
          return row.id <= 2 ? [out, { ...out, id: -row.id }] : out; // fan out
        };`,
    }),
  );
  assert.equal(run.status, "SUCCESS", JSON.stringify(run.tasks));
  const enrich = task(run, "enrich");
  assert.equal(enrich.rows_in, 50);
  assert.equal(enrich.rows_out, 42); // 50 - 10 with qty 0 + 2 copies
  const rows = await p.services.db.query<
    { id: number; total: number; label: string }
  >("select id, total, label from warehouse.row_map order by id");
  assert.equal(rows.length, 42);
  assert.deepEqual(rows[0], { id: -2, total: 6, label: "ORDER 2" });
  assert.deepEqual(rows.at(-1), { id: 49, total: 4 * 73.5, label: "ORDER 49" });
  assert.ok(!rows.some((r) => r.id === 5 || r.id === 10));
  const log = await taskLog(p, run, "enrich");
  assert.match(log, new RegExp(`first row of run ${run.id}`));
  assert.match(log, /seen 3/);
});

Deno.test("a JavaScript batch transform returns rows for each batch", async () => {
  await using p = await startPlatform();
  await sourceTable(p);
  const run = await runPipeline(
    p,
    pipeline("batch_sum", {
      language: "javascript",
      mode: "batch",
      code: `export default function (rows, ctx) {
        const total = rows.reduce((sum, r) => sum + r.qty, 0);
        return [{ rows: rows.length, total, pipeline: ctx.run.pipeline }];
      }`,
    }),
  );
  assert.equal(run.status, "SUCCESS", JSON.stringify(run.tasks));
  const rows = await p.services.db.query(
    "select * from warehouse.batch_sum",
  );
  assert.deepEqual(rows, [{ rows: 50, total: 100, pipeline: "batch_sum" }]);
});

Deno.test("a syntax error fails the TaskRun with its line", async () => {
  await using p = await startPlatform();
  await sourceTable(p, 3);
  const run = await runPipeline(
    p,
    pipeline("bad_syntax", {
      code: "export default (row) => {\n  const doubled = ;\n  return row;\n};",
    }),
  );
  assert.equal(run.status, "FAILURE");
  assert.match(task(run, "enrich").error!, /syntax error at line 2:\d+/);
  assert.equal(task(run, "load").status, "SKIPPED");
});

Deno.test("sandbox escapes fail their TaskRun with a reason while the server answers", async () => {
  await using p = await startPlatform();
  await sourceTable(p, 3);
  const fixture = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => Response.json({ rate: 2 }),
  );
  const address = `127.0.0.1:${fixture.addr.port}`;
  // The server answers /api/v1/health throughout.
  let healthy = 0;
  const unhealthy: number[] = [];
  let polling = true;
  const health = (async () => {
    while (polling) {
      const response = await p.fetch("/api/v1/health");
      await response.body?.cancel();
      if (response.status === 200) healthy++;
      else unhealthy.push(response.status);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  const fetchCode = `export default async (row) => {
    const { rate } = await (await fetch("http://${address}/")).json();
    return { id: row.id, rate };
  };`;
  const escapes: [string, Record<string, unknown>, RegExp][] = [
    ["read_file", {
      code:
        `export default (row) => ({ text: Deno.readTextFileSync("/etc/passwd") });`,
    }, /Requires read access to "\/etc\/passwd": the sandbox forbids it/],
    ["read_env", {
      code:
        `export default (row) => ({ env: Deno.env.get("DATABASE_URL") ?? "" });`,
    }, /Requires env access/],
    ["write_file", {
      code:
        `export default (row) => { Deno.writeTextFileSync("/tmp/etl_escape", "x"); return row; };`,
    }, /Requires write access/],
    [
      "unlisted_host",
      { code: fetchCode },
      /Requires net access to "127\.0\.0\.1:\d+": list the host in the step's allow_net/,
    ],
    ["socket", {
      code:
        `export default async (row) => { await Deno.connect({ hostname: "127.0.0.1", port: 5432 }); return row; };`,
    }, /Requires net access/],
    ["spawn", {
      code:
        `export default (row) => { new Deno.Command("id").outputSync(); return row; };`,
    }, /Requires run access/],
    ["ffi", {
      code:
        `export default (row) => { Deno.dlopen("libc.so.6", {}); return row; };`,
    }, /Requires ffi access/],
    ["remote_import", {
      code: `import { z } from "npm:zod";\nexport default (row) => row;`,
    }, /may not import "npm:zod" \(line 1\)/],
    ["forever", {
      code: `export default (row) => { for (;;) {} };`,
      timeout: "2s",
    }, /^timed out after 2s$/],
    ["out_of_memory", {
      code:
        `export default (row) => { const keep = []; for (;;) keep.push(new Array(1e6).fill(row.id)); };`,
      memory_mb: 64,
    }, /^out of memory/],
  ];
  try {
    for (const [name, transform, reason] of escapes) {
      const run = await runPipeline(p, pipeline(name, transform));
      assert.equal(run.status, "FAILURE", name);
      const enrich = task(run, "enrich");
      assert.equal(enrich.status, "FAILURE", name);
      assert.match(enrich.error ?? "", reason, name);
    }
    await assert.rejects(Deno.stat("/tmp/etl_escape"), Deno.errors.NotFound);

    // A listed host is reachable.
    const allowed = await runPipeline(
      p,
      pipeline("listed_host", { code: fetchCode, allow_net: [address] }),
    );
    assert.equal(allowed.status, "SUCCESS", JSON.stringify(allowed.tasks));
    assert.deepEqual(
      await p.services.db.query(
        "select id, rate from warehouse.listed_host order by id",
      ),
      [{ id: 1, rate: 2 }, { id: 2, rate: 2 }, { id: 3, rate: 2 }],
    );

    // Printing gigabytes: the log is cut at its cap, memory stays bounded.
    const loud = await runPipeline(
      p,
      pipeline("loud", {
        code: `export default (row) => {
          const line = "x".repeat(1 << 20);
          for (let i = 0; i < 1024; i++) console.log(line);
          return row;
        };`,
      }),
    );
    assert.equal(loud.status, "SUCCESS", JSON.stringify(loud.tasks));
    const [{ bytes, truncated }] = await p.services.db.query<
      { bytes: number; truncated: number }
    >(
      `select coalesce(sum(length(message)), 0)::int as bytes,
         count(*) filter (where message like 'log truncated%')::int as truncated
       from task_log where task_run_id = $1`,
      [task(loud, "enrich").id],
    );
    assert.ok(bytes < 1.1 * 1024 * 1024, `task log holds ${bytes} bytes`);
    assert.equal(truncated, 1);
  } finally {
    polling = false;
    await health;
    await fixture.shutdown();
  }
  assert.deepEqual(unhealthy, []);
  assert.ok(healthy > 0);
});

Deno.test("cancelling a running transform kills its sandbox host", async () => {
  await using p = await startPlatform();
  await sourceTable(p, 3);
  const { id } = await post(
    p,
    "/api/v1/pipelines",
    pipeline("spins", { code: `export default (row) => { for (;;) {} };` }),
  );
  const { id: runId } = await post(p, `/api/v1/pipelines/${id}/runs`, {});
  // Wait (bounded) for the transform to report its sandbox's pid.
  let pid: number | undefined;
  for (let i = 0; i < 600 && pid === undefined; i++) {
    const [line] = await p.services.db.query<{ message: string }>(
      `select l.message from task_log l join task_run t on t.id = l.task_run_id
       where t.pipeline_run_id = $1 and t.step_key = 'enrich'
         and l.message like '%sandbox pid%'`,
      [runId],
    );
    pid = line ? Number(/sandbox pid (\d+)/.exec(line.message)![1]) : undefined;
    if (pid === undefined) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(pid, "the transform started");
  assert.ok(await exists(`/proc/${pid}`), "the host runs");
  await post(p, `/api/v1/runs/${runId}/cancel`);
  let run = await p.waitForRun(runId);
  assert.equal(run.status, "CANCELLED");
  // The run ends at once; its running task ends when its worker stops it.
  for (let i = 0; i < 600 && task(run, "enrich").status === "RUNNING"; i++) {
    await new Promise((r) => setTimeout(r, 100));
    run = (await getRunView(p.services.db, runId))!;
  }
  assert.equal(task(run, "enrich").status, "CANCELLED");
  assert.equal(task(run, "enrich").error, "killed: cancelled");
  assert.equal(await exists(`/proc/${pid}`), false, "the host was killed");
});

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
