// The PostgreSQL backend's LISTEN survives a database restart: postgres.js
// listens again once connections are accepted (the workers and the live run
// pages rely on it; their polls only cover the gap).

import assert from "node:assert/strict";
import postgres from "postgres";
import { createScratchDatabase, TEST_PG_URL } from "./test_db.ts";
import { openPostgresDb } from "./postgres_db.ts";

Deno.test({
  name:
    "listen() hears NOTIFY again after its connection dropped while the database refused connections",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const scratch = await createScratchDatabase("etl_listen");
    const name = new URL(scratch.url).pathname.slice(1);
    const admin = postgres(TEST_PG_URL, { max: 1, onnotice: () => {} });
    const db = await openPostgresDb(scratch.url, { max: 1 });
    try {
      const heard: string[] = [];
      await db.listen("etl_test", (payload) => heard.push(payload));
      await db.notify("etl_test", "before");
      await waitUntil(() => heard.includes("before"));

      // A restart, as clients see it: connections dropped, new ones refused
      // for a while.
      await admin.unsafe(`alter database ${name} allow_connections false`);
      await admin.unsafe(
        `select pg_terminate_backend(pid) from pg_stat_activity where datname = $1`,
        [name],
      );
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await admin.unsafe(`alter database ${name} allow_connections true`);

      // Keep notifying (bounded) until one arrives: reconnects back off.
      for (
        let i = 0;
        i < 150 && !heard.some((p) => p.startsWith("after"));
        i++
      ) {
        await db.notify("etl_test", `after ${i}`).catch(() => {});
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.ok(heard.some((p) => p.startsWith("after")), heard.join(","));
    } finally {
      await db.close();
      await admin.unsafe(`alter database ${name} allow_connections true`)
        .catch(() => {});
      await admin.end();
      await scratch.drop();
    }
  },
});

async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(condition());
}
