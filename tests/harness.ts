// Integration-test harness: the whole platform in-process on a fresh
// database of the backend under test, with a real worker, driven through
// app.handler() (no port) unless a test asks for a listening server.

import { testDb } from "../lib/db/test_db.ts";
import { loadConfig } from "../lib/config.ts";
import { openServices, type Services } from "../lib/services.ts";
import { createApp } from "../app.ts";
import { startWorker } from "../main.ts";
import { getRunView, type RunView } from "../lib/engine/run_view.ts";
import { stopBundler } from "../lib/web/mod.ts";

/** A running platform for one test. */
export interface Platform {
  services: Services;
  dataDir: string;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Serves the app on a free loopback port (for the browser); returns its base URL. */
  listen(): Promise<string>;
  /** Waits (bounded by `maxWaits` notifications/polls) for a run to end. */
  waitForRun(runId: number): Promise<RunView>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts the platform for a test: `await using p = await startPlatform()`. */
export async function startPlatform(
  options: { fileRoots?: string[] } = {},
): Promise<Platform> {
  const t = await testDb();
  const dataDir = await Deno.makeTempDir({ prefix: "etl_test_" });
  const config = loadConfig({
    ETL_DATA_DIR: dataDir,
    ETL_FILE_ROOTS: (options.fileRoots ?? []).join(":"),
  });
  const services = await openServices(config, { db: t.db });
  const app = await createApp(services);
  const handler = app.handler();
  const worker = await startWorker(services);
  const servers: Deno.HttpServer[] = [];
  return {
    services,
    dataDir,
    fetch(path, init) {
      const headers = new Headers(init?.headers);
      // Same-origin browser requests, as the CSRF rule expects.
      if (!headers.has("sec-fetch-site")) {
        headers.set("sec-fetch-site", "same-origin");
      }
      return handler(
        new Request(`http://localhost${path}`, { ...init, headers }),
      );
    },
    listen() {
      const { promise, resolve } = Promise.withResolvers<string>();
      servers.push(app.listen({
        port: 0,
        hostname: "127.0.0.1",
        onListen: ({ port }) => resolve(`http://127.0.0.1:${port}`),
      }));
      return promise;
    },
    async waitForRun(runId) {
      // Bounded: 600 polls of 100 ms at most, then the test fails loudly.
      for (let i = 0; i < 600; i++) {
        const run = await getRunView(services.db, runId);
        if (run && ["SUCCESS", "FAILURE", "CANCELLED"].includes(run.status)) {
          return run;
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`Run ${runId} did not end`);
    },
    async [Symbol.asyncDispose]() {
      for (const server of servers) await server.shutdown();
      await worker.stop();
      await services.runEvents.close();
      await stopBundler();
      await t[Symbol.asyncDispose]();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}
