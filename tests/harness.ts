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
import type { BrowserContext } from "playwright-core";
import type { Role } from "../lib/auth/principal.ts";
import { createUser } from "../lib/auth/users.ts";
import { createApiToken } from "../lib/auth/api_tokens.ts";
import { createSession, SESSION_COOKIE } from "../lib/auth/sessions.ts";

/** The password of every user a test creates. */
export const TEST_PASSWORD = "correct horse battery staple";

/** A user made for a test, with an API token. */
export interface TestUser {
  id: number;
  email: string;
  role: Role;
  /** An API token of this user (`Authorization: Bearer …`). */
  token: string;
  /** Fetches as this user (same-origin, with the token). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** A fresh session cookie value (`etl_session=…`) for a browser. */
  sessionCookie(): Promise<string>;
}

/** A running platform for one test. */
export interface Platform {
  services: Services;
  dataDir: string;
  /** The test database's URL on the postgres backend (for worker processes). */
  databaseUrl?: string;
  /** The admin every platform starts with. */
  admin: TestUser;
  /** Fetches as the admin (pass an `authorization` header to act otherwise, "" for nobody). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Creates a user with `role` (and a token). */
  createUser(role: Role, email?: string): Promise<TestUser>;
  /** Adds the admin's session cookie to a Chromium context, for `base`. */
  signInBrowser(context: BrowserContext, base: string): Promise<void>;
  /** Serves the app on a free loopback port (for the browser); returns its base URL. */
  listen(): Promise<string>;
  /** Waits (bounded by `maxWaits` notifications/polls) for a run to end. */
  waitForRun(runId: number): Promise<RunView>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts the platform for a test: `await using p = await startPlatform()`. */
export async function startPlatform(
  options: {
    fileRoots?: string[];
    trustProxy?: boolean;
    /** Run no worker in this process (tests that start worker processes). */
    worker?: boolean;
    /** Instead of the backend under test (fleet tests need PostgreSQL). */
    backend?: "pglite" | "postgres";
    /** More settings (e.g. ETL_DATASET_STORE), as the environment would give. */
    env?: Record<string, string>;
  } = {},
): Promise<Platform> {
  const t = await testDb(options.backend);
  const dataDir = await Deno.makeTempDir({ prefix: "etl_test_" });
  const config = loadConfig({
    ETL_DATA_DIR: dataDir,
    ETL_FILE_ROOTS: (options.fileRoots ?? []).join(":"),
    ETL_TRUST_PROXY: options.trustProxy ? "1" : "",
    ...options.env,
  });
  const services = await openServices(config, {
    db: t.db,
    databaseUrl: t.url,
  });
  const app = await createApp(services);
  const handler = app.handler();
  const worker = options.worker === false
    ? undefined
    : await startWorker(services);
  const servers: Deno.HttpServer[] = [];
  const fetchAs =
    (token: string | null) => (path: string, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      // Same-origin browser requests, as the CSRF rule expects.
      if (!headers.has("sec-fetch-site")) {
        headers.set("sec-fetch-site", "same-origin");
      }
      if (!headers.has("authorization") && token) {
        headers.set("authorization", `Bearer ${token}`);
      } else if (headers.get("authorization") === "") {
        headers.delete("authorization");
      }
      return handler(
        new Request(`http://localhost${path}`, { ...init, headers }),
      );
    };
  let users = 0;
  const createTestUser = async (
    role: Role,
    email = `${role}${++users}@example.test`,
  ): Promise<TestUser> => {
    const user = await createUser(services.db, {
      email,
      name: `${role} ${users}`,
      role,
      password: TEST_PASSWORD,
    });
    const { token } = await createApiToken(services.db, user.id, {
      name: "test",
    });
    return {
      id: user.id,
      email,
      role,
      token,
      fetch: fetchAs(token),
      async sessionCookie() {
        const session = await createSession(services.db, user.id, {
          ip: "127.0.0.1",
          userAgent: "test",
        });
        return `${SESSION_COOKIE}=${session.token}`;
      },
    };
  };
  const admin = await createTestUser("admin", "admin@example.test");
  return {
    services,
    dataDir,
    databaseUrl: t.url,
    admin,
    fetch: admin.fetch,
    createUser: createTestUser,
    async signInBrowser(context, base) {
      const cookie = await admin.sessionCookie();
      const [name, value] = cookie.split("=");
      await context.addCookies([
        { name, value, url: base, httpOnly: true, sameSite: "Lax" },
      ]);
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
      await worker?.stop();
      await services.engine.sandboxes?.close();
      await services.runEvents.close();
      services.datasetStore?.close();
      await stopBundler();
      await t[Symbol.asyncDispose]();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}
