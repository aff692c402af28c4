import assert from "node:assert/strict";
import { testDb } from "../db/test_db.ts";
import { recordSchedulerTick } from "./scheduler.ts";

Deno.test("recordSchedulerTick() stores one row a tick with the node name", async () => {
  await using t = await testDb();
  const first = await recordSchedulerTick(t.db, "node-a");
  const second = await recordSchedulerTick(t.db, "node-a");
  assert.ok(second > first);
  const rows = await t.db.query<{ node: string }>(
    "select node from scheduler_tick",
  );
  assert.deepEqual(rows.map((r) => r.node), ["node-a", "node-a"]);
});
