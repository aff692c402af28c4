// Incremental extracts: a scheduled pipeline reads only new rows, and its
// cursor advances only when the whole run succeeds.

import assert from "node:assert/strict";
import { startPlatform } from "./harness.ts";

Deno.test("an extract with a cursor reads only rows past the last successful run", async () => {
  await using p = await startPlatform();
  const { db } = p.services;
  await db.query(
    "create table warehouse.events (id bigint primary key, name text)",
  );
  await db.query(
    "insert into warehouse.events select g, 'e' || g from generate_series(1, 5) g",
  );
  const created = await p.fetch("/api/v1/pipelines", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      name: "copy_events",
      steps: [
        {
          id: "new_events",
          type: "extract",
          connector: "warehouse",
          config: { table: "events" },
          cursor: { field: "id" },
        },
        {
          id: "load",
          type: "load",
          needs: ["new_events"],
          connector: "warehouse",
          config: { table: "events_copy", mode: "append" },
        },
      ],
    }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const { id } = await created.json();
  const runOnce = async () => {
    const started = await p.fetch(`/api/v1/pipelines/${id}/runs`, {
      method: "POST",
    });
    return await p.waitForRun((await started.json()).id);
  };

  const first = await runOnce();
  assert.equal(first.status, "SUCCESS", JSON.stringify(first));
  assert.equal(first.tasks[0].rows_out, 5);

  await db.query(
    "insert into warehouse.events select g, 'e' || g from generate_series(6, 8) g",
  );

  const second = await runOnce();
  assert.equal(second.tasks[0].rows_out, 3);

  const third = await runOnce();
  assert.equal(third.status, "SUCCESS");
  assert.equal(third.tasks[0].rows_out, 0);

  const rows = await db.query<{ id: number }>(
    "select id from warehouse.events_copy order by id",
  );
  assert.deepEqual(rows.map((r) => r.id), [1, 2, 3, 4, 5, 6, 7, 8]);
});

Deno.test("a failed run does not advance the cursor, so the next run re-reads the rows", async () => {
  await using p = await startPlatform();
  const { db } = p.services;
  await db.query("create table warehouse.src (id bigint, v text)");
  await db.query("insert into warehouse.src values (1, 'a'), (2, 'b')");
  // The target's v is an integer, so the text values make the load fail.
  await db.query("create table warehouse.dst (id bigint, v integer)");
  const created = await p.fetch("/api/v1/pipelines", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      name: "fragile",
      steps: [
        {
          id: "read",
          type: "extract",
          connector: "warehouse",
          config: { table: "src" },
          cursor: { field: "id" },
        },
        {
          id: "load",
          type: "load",
          needs: ["read"],
          connector: "warehouse",
          config: { table: "dst" },
        },
      ],
    }),
  });
  const { id } = await created.json();
  const run = async () => {
    const started = await p.fetch(`/api/v1/pipelines/${id}/runs`, {
      method: "POST",
    });
    return await p.waitForRun((await started.json()).id);
  };
  assert.equal((await run()).status, "FAILURE");
  await db.query("alter table warehouse.dst alter column v type text");
  const retried = await run();
  assert.equal(retried.status, "SUCCESS");
  assert.equal(retried.tasks[0].rows_out, 2);
});
