// A run that decrypts connector secrets leaves one `secret.use` audit event
// per step and connector (not per batch), attributed to the run.

import assert from "node:assert/strict";
import postgres from "postgres";
import { startPlatform } from "./harness.ts";
import { scratchMysql } from "../connectors/mysql/test_server.ts";
import { createScratchDatabase } from "../lib/db/test_db.ts";
import { createConnector } from "../lib/connector/connector_store.ts";
import { pipelineSchema } from "../lib/pipeline/pipeline_schema.ts";
import { savePipeline } from "../lib/pipeline/pipeline_store.ts";
import { startPipelineRun } from "../lib/engine/start_run.ts";
import { listAuditEvents } from "../lib/audit/audit_log.ts";

const MARIA_PASSWORD = "Use-audit-Maria-2291";

Deno.test("a run records one secret.use per step and connector whose secrets it decrypts", async () => {
  await using maria = await scratchMysql();
  const user = `etl_use_${maria.database.slice(-10)}`;
  const pg = await createScratchDatabase("etl_secret_use");
  try {
    for (const host of ["%", "localhost"]) {
      await maria.db.query("create user ?@? identified by ?", [
        user,
        host,
        MARIA_PASSWORD,
      ]);
      await maria.db.query(`grant select on ${maria.database}.* to ?@?`, [
        user,
        host,
      ]);
    }
    // Several batches' worth of rows: still one event per step.
    await maria.db.query("create table orders (id int primary key)");
    await maria.db.query("insert into orders values ?", [
      Array.from({ length: 25000 }, (_, i) => [i + 1]),
    ]);
    await using p = await startPlatform();
    const { db, box } = p.services;
    const shop = await createConnector(db, box, {
      name: "shop",
      kind: "mysql",
      config: { ...maria.config, user, password: MARIA_PASSWORD },
    });
    const url = new URL(pg.url);
    const dwh = await createConnector(db, box, {
      name: "dwh",
      kind: "postgres",
      config: {
        host: url.hostname,
        port: Number(url.port),
        database: url.pathname.slice(1),
        user: "postgres",
        // Trust auth ignores it; it is a secret all the same.
        password: "Use-audit-pg-8812",
      },
    });
    const { id } = await savePipeline(
      db,
      pipelineSchema.parse({
        name: "orders_copy",
        steps: [
          {
            id: "orders",
            type: "extract",
            connector: "shop",
            config: { table: "orders" },
          },
          {
            id: "load",
            type: "load",
            needs: ["orders"],
            connector: "dwh",
            config: { table: "orders", mode: "replace" },
          },
          {
            id: "copy",
            type: "load",
            needs: ["orders"],
            connector: "warehouse",
            config: { table: "orders" },
          },
        ],
      }),
    );
    const runId = await startPipelineRun(db, id);
    const run = await p.waitForRun(runId);
    assert.equal(
      run.status,
      "SUCCESS",
      JSON.stringify(run.tasks.map((t) => [t.step_key, t.error])),
    );
    const events = await listAuditEvents(db, { action: "secret.use" });
    const seen = events.map((e) => ({
      actorId: e.actorId,
      actor: e.actor,
      target: [e.targetType, e.targetId, e.targetName],
      detail: e.detail,
    })).sort((a, b) =>
      String(a.detail.step).localeCompare(String(b.detail.step))
    );
    // The warehouse has no secrets: nothing decrypted, nothing recorded.
    assert.deepEqual(seen, [
      {
        actorId: null,
        actor: `run ${runId}`,
        target: ["connector", String(dwh.id), "dwh"],
        detail: { runId, step: "load" },
      },
      {
        actorId: null,
        actor: `run ${runId}`,
        target: ["connector", String(shop.id), "shop"],
        detail: { runId, step: "orders" },
      },
    ]);
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    const [{ n }] = await sql`select count(*)::int as n from orders`;
    await sql.end();
    assert.equal(n, 25000);
  } finally {
    await maria.db.query("drop user if exists ?@'%', ?@'localhost'", [
      user,
      user,
    ]).catch(() => {});
    await pg.drop();
  }
});
