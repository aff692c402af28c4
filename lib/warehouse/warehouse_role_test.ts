import assert from "node:assert/strict";
import postgres from "postgres";
import { openWarehouseAccess, warehouseRoleName } from "./warehouse_role.ts";
import { createScratchDatabase, TEST_PG_URL, testDb } from "../db/test_db.ts";
import { openPostgresDb } from "../db/postgres_db.ts";
import { migrate } from "../db/migrate.ts";
import { rotateKey } from "../secrets/rotate_key.ts";
import { generateKey, SecretBox } from "../secrets/secret_box.ts";

// The login role exists on the PostgreSQL server only, so these tests always
// use it, whatever ETL_TEST_DB says.

Deno.test("the role name fits PostgreSQL's 63 bytes", async () => {
  assert.equal(await warehouseRoleName("etl"), "etl_wh_etl");
  const long = await warehouseRoleName("d".repeat(80));
  assert.ok(long.length <= 63, long);
  assert.match(long, /^etl_wh_d+_[0-9a-f]{8}$/);
  assert.notEqual(long, await warehouseRoleName("d".repeat(81)));
});

Deno.test({
  name: "the same password serves a second process; the role reaches no etl",
  async fn() {
    await using t = await testDb("postgres");
    const box = await SecretBox.fromKey(generateKey());
    await t.db.query("create schema if not exists warehouse");
    const first = await openWarehouseAccess(t.db, box, t.url);
    const second = await openWarehouseAccess(t.db, box, t.url);
    try {
      for (const access of [first, second]) {
        assert.ok(access.userSql && "sql" in access.userSql);
        const sql = access.userSql.sql;
        const [who] = await sql`select session_user::text as s`;
        assert.match(who.s, /^etl_wh_etl_test_/);
        await assert.rejects(
          sql`select * from etl.app_user`,
          /permission denied/,
        );
      }
      const [stored] = await t.db.query<{ ciphertext: string }>(
        "select ciphertext from warehouse_login",
      );
      assert.ok(stored.ciphertext.length > 0);
      // Key rotation re-wraps the password: a process with only the new key
      // still logs in with it.
      const newKey = generateKey();
      await rotateKey(t.db, box.keyring, newKey);
      const third = await openWarehouseAccess(
        t.db,
        await SecretBox.fromKey(newKey),
        t.url,
      );
      try {
        assert.ok(third.userSql && "sql" in third.userSql);
        const [row] = await third.userSql.sql`select 1 as one`;
        assert.equal(row.one, 1);
        const [after] = await t.db.query<{ ciphertext: string }>(
          "select ciphertext from warehouse_login",
        );
        assert.equal(after.ciphertext, stored.ciphertext);
      } finally {
        await third.close();
      }
    } finally {
      await first.close();
      await second.close();
    }
  },
});

Deno.test({
  name: "without CREATEROLE the platform warns once and keeps its own user",
  async fn() {
    const scratch = await createScratchDatabase("etl_nocr");
    const database = new URL(scratch.url).pathname.slice(1);
    const user = `${database}_owner`;
    const admin = postgres(TEST_PG_URL, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create role ${user} login`);
    await admin.unsafe(`alter database ${database} owner to ${user}`);
    const url = new URL(scratch.url);
    url.username = user;
    const db = await openPostgresDb(url.toString(), { max: 2 });
    try {
      await db.query("create schema etl");
      await migrate(db);
      await db.query("create schema warehouse");
      const warnings: string[] = [];
      const access = await openWarehouseAccess(
        db,
        await SecretBox.fromKey(generateKey()),
        url.toString(),
        (message) => warnings.push(message),
      );
      assert.equal(access.userSql, undefined);
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /no CREATEROLE/);
    } finally {
      await db.close();
      await scratch.drop();
      await admin.unsafe(`drop role if exists ${user}`);
      await admin.end();
    }
  },
});
