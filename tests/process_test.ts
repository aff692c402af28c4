// `deno task start` as a user runs it: a real process on an embedded data
// directory that keeps data across restarts and refuses a second process.

import assert from "node:assert/strict";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

interface Started {
  child: Deno.ChildProcess;
  port: number;
  /** What it printed up to "ETL platform on". */
  output: string;
  stop(): Promise<Deno.CommandStatus>;
}

const ADMIN_ENV = {
  ETL_ADMIN_EMAIL: "admin@example.test",
  ETL_ADMIN_PASSWORD: "process-test-password",
};

/** Signs in through the API; returns the session's Cookie header. */
async function signIn(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      email: ADMIN_ENV.ETL_ADMIN_EMAIL,
      password: ADMIN_ENV.ETL_ADMIN_PASSWORD,
    }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  await response.body?.cancel();
  return response.headers.get("set-cookie")!.split(";")[0];
}

/** Starts main.ts and waits (bounded) for its "listening" line on stderr. */
async function startProcess(
  dataDir: string,
  env: Record<string, string> = ADMIN_ENV,
): Promise<Started> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN],
    env: {
      PORT: String(port),
      ETL_DATA_DIR: dataDir,
      ETL_LOG_LEVEL: "warn",
      HOST: "127.0.0.1",
      ...env,
    },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const deadline = Date.now() + 120_000;
  while (!seen.includes("ETL platform on") && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
  }
  // Keep draining so the child never blocks on a full pipe.
  (async () => {
    while (!(await reader.read()).done) { /* drain */ }
  })().catch(() => {});
  assert.match(
    seen,
    /ETL platform on http:\/\/localhost:\d+/,
    `start-up output: ${seen}`,
  );
  return {
    child,
    port,
    output: seen,
    async stop() {
      child.kill("SIGTERM");
      return await child.status;
    },
  };
}

Deno.test("deno task start keeps data across restarts and locks its data directory", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "etl_start_" });
  try {
    const first = await startProcess(dataDir);
    try {
      const health = await fetch(
        `http://127.0.0.1:${first.port}/api/v1/health`,
      );
      assert.deepEqual((await health.json()).database, {
        backend: "pglite",
        status: "ok",
      });
      assert.match(
        first.output,
        /Created the admin account admin@example\.test/,
      );
      const cookie = await signIn(first.port);
      const created = await fetch(
        `http://127.0.0.1:${first.port}/api/v1/pipelines`,
        {
          method: "POST",
          headers: { "content-type": "application/json", cookie },
          body: JSON.stringify({
            name: "kept_across_restarts",
            steps: [
              {
                id: "read",
                type: "extract",
                connector: "files",
                config: { path: "x.csv" },
              },
              {
                id: "load",
                type: "load",
                needs: ["read"],
                connector: "warehouse",
                config: { table: "x" },
              },
            ],
          }),
        },
      );
      assert.equal(created.status, 201);
      await created.body?.cancel();

      // A second process on the same directory must exit at once, touching nothing.
      const second = await new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", MAIN],
        env: { PORT: String(freePort()), ETL_DATA_DIR: dataDir },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(second.code, 1);
      assert.match(
        new TextDecoder().decode(second.stderr),
        /is in use by another process \(pid \d+\)/,
      );
    } finally {
      const status = await first.stop();
      assert.equal(status.code, 0);
    }

    const again = await startProcess(dataDir);
    try {
      // Sessions live in the database: they survive the restart too.
      const list = await fetch(
        `http://127.0.0.1:${again.port}/api/v1/pipelines`,
        { headers: { cookie: await signIn(again.port) } },
      );
      const names = (await list.json()).map((p: { name: string }) => p.name);
      assert.deepEqual(names, ["kept_across_restarts"]);
    } finally {
      await again.stop();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("a first start without ETL_ADMIN_EMAIL prints a one-time setup link", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "etl_setup_" });
  try {
    const started = await startProcess(dataDir, {});
    try {
      const link = /http:\/\/localhost:\d+\/setup\?token=([\w-]+)/.exec(
        started.output,
      );
      assert.ok(link, `start-up output: ${started.output}`);
      // Nothing is open before the admin exists.
      const runs = await fetch(`http://127.0.0.1:${started.port}/api/v1/runs`);
      assert.equal(runs.status, 401);
      await runs.body?.cancel();
    } finally {
      await started.stop();
    }
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
