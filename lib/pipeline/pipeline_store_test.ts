import assert from "node:assert/strict";
import { testDb } from "../db/test_db.ts";
import type { Db } from "../db/db.ts";
import type { Principal, Role } from "../auth/principal.ts";
import { createUser } from "../auth/users.ts";
import { setShares } from "../rbac/shares.ts";
import { type PipelineDefinition, pipelineSchema } from "./pipeline_schema.ts";
import {
  ConnectorAccessError,
  connectorProblems,
  deletePipeline,
  getPipeline,
  PipelineAccessError,
  PipelineBusyError,
  PipelineNameTakenError,
  PipelineNotFoundError,
  sameDefinition,
  savePipeline,
  UnknownConnectorError,
} from "./pipeline_store.ts";

function definition(
  name = "daily",
  table = "sales",
): PipelineDefinition {
  return pipelineSchema.parse({
    name,
    steps: [
      {
        id: "read",
        type: "extract",
        connector: "files",
        config: { path: "a" },
      },
      {
        id: "write",
        type: "load",
        needs: ["read"],
        connector: "warehouse",
        config: { table },
      },
    ],
  });
}

async function setup(db: Db): Promise<void> {
  await db.query(
    `insert into connector (name, kind, config, builtin)
     values ('files', 'csv', '{}', true), ('warehouse', 'warehouse', '{}', true)`,
  );
}

async function principal(
  db: Db,
  role: Role,
  email: string,
): Promise<Principal> {
  const user = await createUser(db, {
    email,
    name: email,
    role,
    password: "correct horse battery staple",
  });
  return { userId: user.id, email, name: email, role, via: "token" };
}

async function versions(db: Db, id: number): Promise<number[]> {
  const rows = await db.query<{ version: number }>(
    "select version from pipeline_version where pipeline_id = $1 order by version",
    [id],
  );
  return rows.map((row) => row.version);
}

Deno.test("savePipeline() creates, adds a version on change and nothing when unchanged", async () => {
  await using t = await testDb();
  await setup(t.db);
  const created = await savePipeline(t.db, definition(), { message: "first" });
  assert.deepEqual(
    { ...created, id: undefined },
    { id: undefined, name: "daily", version: 1, action: "create" },
  );
  // The same definition, written with other key order and defaults spelled
  // out differently, is the same pipeline.
  const same = pipelineSchema.parse(
    JSON.parse(JSON.stringify({
      steps: definition().steps.map((step) =>
        Object.fromEntries(Object.entries(step).reverse())
      ),
      description: "",
      name: "daily",
    })),
  );
  const unchanged = await savePipeline(t.db, same, { message: "again" });
  assert.deepEqual(unchanged, {
    id: created.id,
    name: "daily",
    version: 1,
    action: "unchanged",
  });
  assert.deepEqual(await versions(t.db, created.id), [1]);

  const updated = await savePipeline(t.db, definition("daily", "sales2"));
  assert.deepEqual(updated, {
    id: created.id,
    name: "daily",
    version: 2,
    action: "update",
  });
  assert.deepEqual(await versions(t.db, created.id), [1, 2]);
  const [first] = await t.db.query<{ message: string }>(
    "select message from pipeline_version where pipeline_id = $1 and version = 1",
    [created.id],
  );
  assert.equal(first.message, "first");
});

Deno.test("sameDefinition() fills defaults a stored version lacks and ignores key order", () => {
  const stored = {
    steps: [{ type: "extract", id: "read", connector: "files" }],
    name: "daily",
  };
  const next = pipelineSchema.parse({
    name: "daily",
    steps: [{ id: "read", type: "extract", connector: "files" }],
  });
  assert.ok(sameDefinition(stored, next));
  assert.ok(!sameDefinition(stored, { ...next, description: "new" }));
  assert.ok(!sameDefinition({ ...stored, name: "other" }, next));
});

Deno.test("savePipeline() with an id renames, refuses another pipeline's name and a missing id", async () => {
  await using t = await testDb();
  await setup(t.db);
  const daily = await savePipeline(t.db, definition("daily"));
  const other = await savePipeline(t.db, definition("other"));
  await assert.rejects(
    savePipeline(t.db, definition("other", "x"), { id: daily.id }),
    (error) =>
      error instanceof PipelineNameTakenError &&
      error.message === 'a pipeline named "other" already exists',
  );
  const renamed = await savePipeline(t.db, definition("daily_v2"), {
    id: daily.id,
  });
  assert.deepEqual(renamed, {
    id: daily.id,
    name: "daily_v2",
    version: 2,
    action: "update",
  });
  assert.equal((await getPipeline(t.db, daily.id))?.name, "daily_v2");
  assert.equal((await getPipeline(t.db, other.id))?.current_version, 1);
  await assert.rejects(
    savePipeline(t.db, definition("ghost"), { id: 999_999 }),
    PipelineNotFoundError,
  );
  await assert.rejects(
    savePipeline(t.db, definition("other"), { createOnly: true }),
    PipelineNameTakenError,
  );
});

Deno.test("savePipeline() in a dry run says what it would do and writes nothing", async () => {
  await using t = await testDb();
  await setup(t.db);
  const create = await savePipeline(t.db, definition(), { dryRun: true });
  assert.deepEqual([create.action, create.version], ["create", 1]);
  assert.equal(await getPipeline(t.db, "daily"), undefined);
  const saved = await savePipeline(t.db, definition());
  const update = await savePipeline(t.db, definition("daily", "b"), {
    dryRun: true,
  });
  assert.deepEqual(update, {
    id: saved.id,
    name: "daily",
    version: 2,
    action: "update",
  });
  assert.deepEqual(await versions(t.db, saved.id), [1]);
  const unchanged = await savePipeline(t.db, definition(), { dryRun: true });
  assert.equal(unchanged.action, "unchanged");
});

Deno.test("savePipeline() keeps its author checks: pipelines and connectors of others", async () => {
  await using t = await testDb();
  await setup(t.db);
  const alice = await principal(t.db, "editor", "alice@example.test");
  const bob = await principal(t.db, "editor", "bob@example.test");
  const { id } = await savePipeline(t.db, definition(), { author: alice });
  await assert.rejects(
    savePipeline(t.db, definition("daily", "b"), { author: bob }),
    (error) =>
      error instanceof PipelineAccessError &&
      error.message ===
        'Cannot save pipeline "daily": it exists and you may not edit it',
  );
  await setShares(t.db, "pipeline", id, [bob.userId]);
  const saved = await savePipeline(t.db, definition("daily", "b"), {
    author: bob,
  });
  assert.equal(saved.version, 2);

  const [mine] = await t.db.query<{ id: number }>(
    `insert into connector (name, kind, config, owner_id)
     values ('alice_pg', 'postgres', '{}', $1) returning id`,
    [alice.userId],
  );
  assert.ok(mine);
  const uses = pipelineSchema.parse({
    name: "bobs",
    steps: [
      { id: "a", type: "extract", connector: "alice_pg" },
      { id: "b", type: "extract", connector: "nope" },
      { id: "c", type: "extract", connector: "nada" },
    ],
  });
  await assert.rejects(
    savePipeline(t.db, uses, { author: bob }),
    ConnectorAccessError,
  );
  const problems = await connectorProblems(t.db, uses.steps, bob);
  assert.deepEqual(problems.map((p) => [p.constructor, p.message]), [
    [
      ConnectorAccessError,
      'step 1 uses connector "alice_pg", which you may not use (ask its owner to share it)',
    ],
    [UnknownConnectorError, 'step 2 uses unknown connector "nope"'],
    [UnknownConnectorError, 'step 3 uses unknown connector "nada"'],
  ]);
  assert.equal((await connectorProblems(t.db, uses.steps, alice)).length, 2);
});

Deno.test("deletePipeline() removes versions, runs and shares; refuses while a run is active", async () => {
  await using t = await testDb();
  await setup(t.db);
  const editor = await principal(t.db, "editor", "e@example.test");
  const { id } = await savePipeline(t.db, definition());
  await setShares(t.db, "pipeline", id, [editor.userId]);
  const [version] = await t.db.query<{ id: number }>(
    "select id from pipeline_version where pipeline_id = $1",
    [id],
  );
  const [run] = await t.db.query<{ id: number }>(
    `insert into pipeline_run (pipeline_id, pipeline_version_id, status)
     values ($1, $2, 'RUNNING') returning id`,
    [id, version.id],
  );
  await assert.rejects(
    deletePipeline(t.db, id),
    (error) =>
      error instanceof PipelineBusyError &&
      error.message ===
        `Cannot delete pipeline "daily": run ${run.id} has not finished; wait for it or cancel it`,
  );
  await t.db.query(
    "update pipeline_run set status = 'SUCCESS' where id = $1",
    [run.id],
  );
  await deletePipeline(t.db, id);
  assert.equal(await getPipeline(t.db, id), undefined);
  for (
    const sql of [
      "select count(*)::int as n from pipeline_version where pipeline_id = $1",
      "select count(*)::int as n from pipeline_run where pipeline_id = $1",
      `select count(*)::int as n from resource_share
        where resource_type = 'pipeline' and resource_id = $1`,
    ]
  ) {
    const [row] = await t.db.query<{ n: number }>(sql, [id]);
    assert.equal(row.n, 0, sql);
  }
  await assert.rejects(deletePipeline(t.db, id), PipelineNotFoundError);
});
