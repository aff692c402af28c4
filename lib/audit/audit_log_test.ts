import assert from "node:assert/strict";
import { testDb } from "../db/test_db.ts";
import { listAuditEvents, recordAudit } from "./audit_log.ts";

Deno.test("recordAudit() appends events that listAuditEvents() filters, newest first", async () => {
  await using t = await testDb();
  const ada = { id: 1, label: "ada@example.test" };
  await recordAudit(t.db, {
    actor: ada,
    action: "auth.sign_in",
    ip: "10.0.0.1",
  });
  await recordAudit(t.db, {
    actor: ada,
    action: "connector.update",
    target: { type: "connector", id: 5, name: "shop" },
    detail: { secretsChanged: ["password"] },
  });
  await recordAudit(t.db, {
    actor: { id: null, label: "run 9" },
    action: "secret.use",
    target: { type: "connector", id: 5, name: "shop" },
  });
  const all = await listAuditEvents(t.db);
  assert.deepEqual(all.map((e) => e.action), [
    "secret.use",
    "connector.update",
    "auth.sign_in",
  ]);
  assert.equal(all[1].targetId, "5");
  assert.deepEqual(all[1].detail, { secretsChanged: ["password"] });
  assert.equal(all[2].ip, "10.0.0.1");

  const byActor = await listAuditEvents(t.db, { actor: "ADA@" });
  assert.equal(byActor.length, 2);
  const byPrefix = await listAuditEvents(t.db, { action: "connector." });
  assert.deepEqual(byPrefix.map((e) => e.action), ["connector.update"]);
  const byTarget = await listAuditEvents(t.db, {
    targetType: "connector",
    targetId: "5",
  });
  assert.equal(byTarget.length, 2);
  const older = await listAuditEvents(t.db, { before: all[0].id, limit: 1 });
  assert.deepEqual(older.map((e) => e.action), ["connector.update"]);
  // LIKE wildcards in a filter are literal.
  assert.equal((await listAuditEvents(t.db, { actor: "%" })).length, 0);
  const future = await listAuditEvents(t.db, {
    since: new Date(Date.now() + 60_000),
  });
  assert.equal(future.length, 0);
});
