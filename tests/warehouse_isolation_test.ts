// User-written SQL on the built-in warehouse cannot reach the platform's own
// `etl` schema: on PostgreSQL it runs as a login role of its own, on PGlite
// under `set local role` with role changes refused (best effort).
// Both backends: ETL_TEST_DB=postgres for the server one.

import assert from "node:assert/strict";
import { type Platform, startPlatform, type TestUser } from "./harness.ts";
import type { RunView } from "../lib/engine/run_view.ts";
import { TEST_BACKEND } from "../lib/db/test_db.ts";

async function run(user: TestUser, p: Platform, definition: unknown) {
  const saved = await user.fetch("/api/v1/pipelines", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(definition),
  });
  const pipeline = await saved.json();
  assert.equal(saved.status, 201, JSON.stringify(pipeline));
  const started = await user.fetch(`/api/v1/pipelines/${pipeline.id}/runs`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  const body = await started.json();
  assert.ok(started.status < 300, JSON.stringify(body));
  return await p.waitForRun(body.id);
}

function task(run: RunView, key: string) {
  const found = run.tasks.find((t) => t.step_key === key);
  assert.ok(found, `no task ${key} in ${JSON.stringify(run.tasks)}`);
  return found;
}

async function roleOf(p: Platform, id: number): Promise<string> {
  const [row] = await p.services.db.query<{ role: string }>(
    `select role from etl.app_user where id = $1`,
    [id],
  );
  return row.role;
}

async function sqlStep(
  editor: TestUser,
  p: Platform,
  name: string,
  query: string,
) {
  return await run(editor, p, {
    name,
    steps: [{ id: "attack", type: "sql", connector: "warehouse", query }],
  });
}

Deno.test("an editor's sql step cannot update the etl schema", async () => {
  await using p = await startPlatform();
  const editor = await p.createUser("editor");
  const result = await sqlStep(
    editor,
    p,
    "escalate",
    `update etl.app_user set role = 'admin' where id = ${editor.id}`,
  );
  assert.equal(result.status, "FAILURE");
  assert.match(task(result, "attack").error ?? "", /permission denied/i);
  assert.equal(await roleOf(p, editor.id), "editor");
});

Deno.test("reset role does not lift the warehouse isolation", async () => {
  await using p = await startPlatform();
  const editor = await p.createUser("editor");
  for (
    const [name, query] of [
      [
        "reset_in_block",
        `do $$ begin reset role; update etl.app_user set role = 'admin' where id = ${editor.id}; end $$`,
      ],
      [
        "reset_first",
        `reset role; update etl.app_user set role = 'admin' where id = ${editor.id}`,
      ],
      ["reset_only", "reset role"],
      ["set_config", "select set_config('role', 'postgres', true)"],
    ]
  ) {
    const result = await sqlStep(editor, p, name, query);
    if (
      TEST_BACKEND === "pglite" ||
      name !== "reset_only" && name !== "set_config"
    ) {
      assert.equal(result.status, "FAILURE", name);
      assert.match(
        task(result, "attack").error ?? "",
        // One statement a step: a second one is refused by the server.
        /permission denied|cannot insert multiple commands/i,
        name,
      );
    }
  }
  assert.equal(await roleOf(p, editor.id), "editor");
  if (TEST_BACKEND === "postgres") {
    // The session user is the login role: resetting reaches nothing more.
    const result = await run(editor, p, {
      name: "reset_then_read",
      steps: [{
        id: "who",
        type: "sql",
        connector: "warehouse",
        query: "select session_user::text as s, current_user::text as c",
      }, {
        id: "load",
        type: "load",
        needs: ["who"],
        connector: "warehouse",
        config: { table: "who" },
      }],
    });
    assert.equal(result.status, "SUCCESS", JSON.stringify(result.tasks));
    const [who] = await p.services.db.query<{ s: string; c: string }>(
      "select s, c from warehouse.who",
    );
    assert.match(who.s, /^etl_wh_/);
    assert.equal(who.c, who.s);
  }
});

Deno.test("an extract query cannot read the etl schema", async () => {
  await using p = await startPlatform();
  const editor = await p.createUser("editor");
  const result = await run(editor, p, {
    name: "steal",
    steps: [{
      id: "users",
      type: "extract",
      connector: "warehouse",
      config: { query: `select * from etl.app_user` },
    }, {
      id: "load",
      type: "load",
      needs: ["users"],
      connector: "warehouse",
      config: { table: "stolen" },
    }],
  });
  assert.equal(result.status, "FAILURE");
  assert.match(task(result, "users").error ?? "", /permission denied/i);
  const [stolen] = await p.services.db.query(
    "select to_regclass('warehouse.stolen') as t",
  );
  assert.equal(stolen.t, null);
});

Deno.test("a connector preview query cannot read the etl schema", async () => {
  await using p = await startPlatform();
  const [wh] = await p.services.db.query<{ id: number }>(
    "select id from etl.connector where name = 'warehouse'",
  );
  const response = await p.fetch(`/api/v1/connectors/${wh.id}/preview`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: `select password_hash from etl.app_user` }),
  });
  const body = await response.text();
  assert.ok(response.status >= 400, body);
  assert.match(body, /permission denied/i);
});

Deno.test("warehouse tables stay usable both ways: sql step, load, extract by name", async () => {
  await using p = await startPlatform();
  const editor = await p.createUser("editor");
  // The platform's user makes a table (as loads do) before the sql steps.
  await p.services.db.query("create table warehouse.seed (id int)");
  await p.services.db.query("insert into warehouse.seed values (10), (20)");
  const result = await run(editor, p, {
    name: "round_trip",
    steps: [
      {
        id: "make",
        type: "sql",
        connector: "warehouse",
        query:
          "create table made as select g as id from generate_series(1, 3) g",
      },
      {
        id: "fill",
        type: "sql",
        needs: ["make"],
        connector: "warehouse",
        query: "insert into made select id from seed",
      },
      {
        id: "read_made",
        type: "extract",
        needs: ["fill"],
        connector: "warehouse",
        config: { table: "made" },
      },
      {
        id: "load_made",
        type: "load",
        needs: ["read_made"],
        connector: "warehouse",
        config: { table: "made", mode: "append" },
      },
      {
        id: "count",
        type: "sql",
        needs: ["load_made"],
        connector: "warehouse",
        query: "select count(*)::int as n from made",
      },
    ],
  });
  assert.equal(result.status, "SUCCESS", JSON.stringify(result.tasks));
  assert.equal(task(result, "read_made").rows_out, 5);
  const [row] = await p.services.db.query<{ n: number }>(
    "select count(*)::int as n from warehouse.made",
  );
  assert.equal(row.n, 10);
});
