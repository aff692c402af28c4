import assert from "node:assert/strict";
import { testDb } from "./test_db.ts";
import { splitStatements } from "./migrate.ts";
import { migrate } from "./migrate.ts";

Deno.test("migrate() creates the metadata tables and is idempotent", async () => {
  await using t = await testDb();
  const tables = await t.db.query<{ table_name: string }>(
    "select table_name from information_schema.tables where table_schema = 'etl' order by 1",
  );
  const names = tables.map((row) => row.table_name);
  for (
    const table of [
      "connector",
      "credential",
      "job",
      "pipeline_run",
      "task_run",
      "task_log",
    ]
  ) {
    assert.ok(names.includes(table), `missing table ${table}`);
  }
  assert.deepEqual(await migrate(t.db), []);
});

Deno.test("transaction() rolls back everything when the function throws", async () => {
  await using t = await testDb();
  await assert.rejects(
    t.db.transaction(async (tx) => {
      await tx.query(
        "insert into connector (name, kind) values ('a', 'postgres')",
      );
      throw new Error("boom");
    }),
    /boom/,
  );
  const rows = await t.db.query("select * from connector");
  assert.equal(rows.length, 0);
});

Deno.test("copyFrom() streams many chunks into a table inside a transaction", async () => {
  await using t = await testDb();
  await t.db.query("create table public.copy_target (id bigint, name text)");
  async function* lines() {
    // Chunks split mid-line on purpose: the backend must not care.
    for (let i = 0; i < 2000; i++) {
      const line = `${i}\tname ${i}\n`;
      yield line.slice(0, 3);
      yield line.slice(3);
    }
  }
  await t.db.transaction(async (tx) => {
    await tx.copyFrom("copy public.copy_target (id, name) from stdin", lines());
  });
  const [row] = await t.db.query<{ n: number }>(
    "select count(*)::int as n from public.copy_target",
  );
  assert.equal(row.n, 2000);
});

Deno.test("listen() receives what notify() sends", async () => {
  await using t = await testDb();
  const received = Promise.withResolvers<string>();
  const unlisten = await t.db.listen("etl_test_channel", received.resolve);
  await t.db.notify("etl_test_channel", "hello");
  assert.equal(await received.promise, "hello");
  await unlisten();
});

Deno.test("int8 columns come back as numbers on both backends", async () => {
  await using t = await testDb();
  const [row] = await t.db.query<{ n: unknown }>("select 42::bigint as n");
  assert.equal(row.n, 42);
});

Deno.test("splitStatements() keeps quoted semicolons and drops comments", () => {
  assert.deepEqual(
    splitStatements("-- a; comment\nselect ';'; select $$a;b$$;\n"),
    ["select ';'", "select $$a;b$$"],
  );
});
