import assert from "node:assert/strict";
import { testDb } from "../db/test_db.ts";
import type { Db } from "../db/db.ts";
import { createUser } from "../auth/users.ts";
import type { Principal, Role } from "../auth/principal.ts";
import { HttpError } from "../web/mod.ts";
import { ProblemError } from "../api/problem.ts";
import { pipelineSchema } from "./pipeline_schema.ts";
import { savePipeline } from "./pipeline_store.ts";
import {
  diffVersions,
  getVersion,
  listVersions,
  rollbackPipeline,
} from "./pipeline_versions.ts";

async function principal(db: Db, role: Role): Promise<Principal> {
  const email = `${role}-${crypto.randomUUID().slice(0, 8)}@example.test`;
  const user = await createUser(db, {
    email,
    name: role,
    role,
    password: "correct horse battery staple",
  });
  return { userId: user.id, email, name: role, role, via: "token" };
}

async function setUp(db: Db) {
  await db.query(
    `insert into connector (name, kind, config, builtin)
     values ('files', 'csv', '{}', true), ('warehouse', 'warehouse', '{}', true)`,
  );
  return {
    admin: await principal(db, "admin"),
    editor: await principal(db, "editor"),
    viewer: await principal(db, "viewer"),
  };
}

function definition(mode: "append" | "replace", source = "files") {
  return pipelineSchema.parse({
    name: "daily",
    description: "Daily load",
    steps: [
      {
        id: "read",
        type: "extract",
        connector: source,
        config: { path: "/data/in.csv" },
      },
      {
        id: "load",
        type: "load",
        needs: ["read"],
        connector: "warehouse",
        config: { table: "sales", mode },
      },
    ],
  });
}

Deno.test("listVersions() lists every version newest first with author, message and the current one", async () => {
  await using t = await testDb();
  const { admin, editor } = await setUp(t.db);
  const { id } = await savePipeline(t.db, definition("append"), {
    author: editor,
    message: "first",
  });
  await savePipeline(t.db, definition("replace"), { author: admin });
  await savePipeline(t.db, definition("append"));

  const versions = await listVersions(t.db, id);
  assert.deepEqual(
    versions.map(({ createdAt: _, ...v }) => v),
    [
      { version: 3, author: null, message: "", current: true },
      { version: 2, author: admin.email, message: "", current: false },
      { version: 1, author: editor.email, message: "first", current: false },
    ],
  );
  for (const v of versions) {
    assert.equal(new Date(v.createdAt).toISOString(), v.createdAt);
  }
});

Deno.test("getVersion() returns a version's definition; unknown ones are 404", async () => {
  await using t = await testDb();
  const { editor } = await setUp(t.db);
  const { id } = await savePipeline(t.db, definition("append"), {
    author: editor,
  });
  await savePipeline(t.db, definition("replace"), { author: editor });

  const first = await getVersion(t.db, id, 1);
  assert.equal(first.version, 1);
  assert.equal(first.current, false);
  assert.equal(first.author, editor.email);
  assert.deepEqual(first.definition, definition("append"));
  assert.equal((await getVersion(t.db, id, 2)).current, true);

  for (
    const attempt of [
      () => getVersion(t.db, id, 3),
      () => getVersion(t.db, id + 100, 1),
      () => listVersions(t.db, id + 100),
      () => diffVersions(t.db, id, 1, 9),
      () => rollbackPipeline(t.db, id, 9),
      () => rollbackPipeline(t.db, id + 100, 1),
    ]
  ) {
    await assert.rejects(
      attempt,
      (error) => error instanceof HttpError && error.status === 404,
    );
  }
  await assert.rejects(
    () => getVersion(t.db, id, 3),
    { message: `Pipeline "${id}" has no version 3` },
  );
});

Deno.test("diffVersions() diffs the canonical YAML of two versions", async () => {
  await using t = await testDb();
  const { editor } = await setUp(t.db);
  const { id } = await savePipeline(t.db, definition("append"), {
    author: editor,
  });
  await savePipeline(t.db, definition("replace"), { author: editor });

  assert.equal(
    await diffVersions(t.db, id, 1, 2),
    [
      "--- daily@v1",
      "+++ daily@v2",
      "@@ -14,6 +14,6 @@",
      "       - read",
      "     connector: warehouse",
      "     config:",
      "-      mode: append",
      "+      mode: replace",
      "       table: sales",
      "     retries: 0",
      "",
    ].join("\n"),
  );
  assert.equal(await diffVersions(t.db, id, 2, 2), "");
  assert.match(await diffVersions(t.db, id, 2, 1), /^- {6}mode: replace$/m);
});

Deno.test("rollbackPipeline() saves the old definition as a new version", async () => {
  await using t = await testDb();
  const { editor } = await setUp(t.db);
  const { id } = await savePipeline(t.db, definition("append"), {
    author: editor,
  });
  await savePipeline(t.db, definition("replace"), { author: editor });

  const rolled = await rollbackPipeline(t.db, id, 1, { author: editor });
  assert.deepEqual(rolled, {
    id,
    name: "daily",
    version: 3,
    action: "update",
  });
  const third = await getVersion(t.db, id, 3);
  assert.deepEqual(
    third.definition,
    (await getVersion(t.db, id, 1)).definition,
  );
  assert.equal(third.message, "Roll back to version 1");
  assert.equal(third.author, editor.email);
  assert.equal(third.current, true);
  assert.equal(await diffVersions(t.db, id, 1, 3), "");
  // The steps runs execute are the old ones again.
  const steps = await t.db.query<{ config: Record<string, unknown> }>(
    `select s.config from pipeline_step s
     join pipeline_version v on v.id = s.pipeline_version_id
     where v.pipeline_id = $1 and v.version = 3 and s.step_key = 'load'`,
    [id],
  );
  assert.equal(steps[0].config.mode, "append");

  const again = await rollbackPipeline(t.db, id, 2, {
    author: editor,
    message: "Back to replace",
  });
  assert.equal(again.version, 4);
  assert.equal((await getVersion(t.db, id, 4)).message, "Back to replace");
  assert.deepEqual(
    (await listVersions(t.db, id)).map((v) => v.version),
    [4, 3, 2, 1],
  );
  // Version 2's definition is the current one's (4): nothing to add.
  assert.deepEqual(await rollbackPipeline(t.db, id, 2, { author: editor }), {
    id,
    name: "daily",
    version: 4,
    action: "unchanged",
  });
  assert.equal((await listVersions(t.db, id)).length, 4);
});

Deno.test("rollbackPipeline() restores an old name, unless another pipeline took it", async () => {
  await using t = await testDb();
  const { editor } = await setUp(t.db);
  const { id } = await savePipeline(t.db, definition("append"), {
    author: editor,
  });
  await savePipeline(t.db, { ...definition("append"), name: "renamed" }, {
    id,
    author: editor,
  });
  const rolled = await rollbackPipeline(t.db, id, 1, { author: editor });
  assert.deepEqual(rolled, { id, name: "daily", version: 3, action: "update" });
  assert.match(
    await diffVersions(t.db, id, 2, 3),
    /^-name: renamed\n\+name: daily$/m,
  );

  await savePipeline(t.db, { ...definition("append"), name: "renamed2" }, {
    id,
    author: editor,
  });
  const other = await savePipeline(t.db, definition("replace"), {
    author: editor,
  });
  assert.notEqual(other.id, id);
  await assert.rejects(
    () => rollbackPipeline(t.db, id, 1, { author: editor }),
    (error) =>
      error instanceof ProblemError && error.status === 409 &&
      error.errors[0].field === "name",
  );
});

Deno.test("rollbackPipeline() refuses the current version, other people's pipelines and connectors", async () => {
  await using t = await testDb();
  const { admin, editor, viewer } = await setUp(t.db);
  await t.db.query(
    `insert into connector (name, kind, config, owner_id)
     values ('admins_src', 'csv', '{}', $1)`,
    [admin.userId],
  );
  const { id } = await savePipeline(t.db, definition("append"), {
    author: editor,
  });
  await savePipeline(t.db, definition("append", "admins_src"), {
    author: admin,
  });
  await savePipeline(t.db, definition("replace"), { author: admin });

  const refused = async (
    version: number,
    author: Principal,
    status: number,
    field?: string,
  ) => {
    await assert.rejects(
      () => rollbackPipeline(t.db, id, version, { author }),
      (error) => {
        assert.ok(error instanceof HttpError, String(error));
        assert.equal(error.status, status, error.message);
        if (field) {
          assert.ok(error instanceof ProblemError);
          assert.equal(error.errors[0].field, field);
        }
        return true;
      },
    );
  };
  await refused(3, editor, 422, "version");
  await refused(1, viewer, 403);
  // Version 2 reads through a connector the editor may not use.
  await refused(2, editor, 403, "steps.0.connector");
  // A connector renamed since: the old definition names an unknown one.
  await t.db.query(
    "update connector set name = 'renamed' where name = 'admins_src'",
  );
  await refused(2, admin, 422, "steps.0.connector");
  assert.deepEqual(
    (await listVersions(t.db, id)).map((v) => v.version),
    [3, 2, 1],
  );
  // The admin may roll back anything.
  assert.equal(
    (await rollbackPipeline(t.db, id, 1, { author: admin })).version,
    4,
  );
});
