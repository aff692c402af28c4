import assert from "node:assert/strict";
import { testDb } from "../db/test_db.ts";
import {
  ensureFirstAdmin,
  setupTokenValid,
  useSetupToken,
} from "./first_admin.ts";
import { listUsers } from "./users.ts";

const PASSWORD = "a long enough password";

Deno.test("ensureFirstAdmin() creates the admin from the environment once", async () => {
  await using t = await testDb();
  const env = {
    ETL_ADMIN_EMAIL: "Root@Example.test",
    ETL_ADMIN_PASSWORD: PASSWORD,
  };
  assert.deepEqual(await ensureFirstAdmin(t.db, env), {
    kind: "created",
    email: "root@example.test",
  });
  assert.deepEqual(await ensureFirstAdmin(t.db, env), { kind: "exists" });
  const users = await listUsers(t.db);
  assert.deepEqual(users.map((u) => [u.email, u.role]), [[
    "root@example.test",
    "admin",
  ]]);
});

Deno.test("ensureFirstAdmin() refuses a bad email or a short password with the variable's name", async () => {
  await using t = await testDb();
  await assert.rejects(
    ensureFirstAdmin(t.db, {
      ETL_ADMIN_EMAIL: "nope",
      ETL_ADMIN_PASSWORD: PASSWORD,
    }),
    /ETL_ADMIN_EMAIL "nope" is not an email address/,
  );
  await assert.rejects(
    ensureFirstAdmin(t.db, {
      ETL_ADMIN_EMAIL: "a@b.c",
      ETL_ADMIN_PASSWORD: "short",
    }),
    /ETL_ADMIN_PASSWORD must be at least 12 characters/,
  );
});

Deno.test("a setup link creates one admin, once", async () => {
  await using t = await testDb();
  const first = await ensureFirstAdmin(t.db, {});
  assert.equal(first.kind, "setup-link");
  const token = first.kind === "setup-link" ? first.token : "";
  assert.ok(await setupTokenValid(t.db, token));
  assert.equal(await setupTokenValid(t.db, token + "x"), false);
  assert.equal(
    await useSetupToken(t.db, "wrong", {
      email: "a@example.test",
      name: "",
      password: PASSWORD,
    }),
    null,
  );
  const admin = await useSetupToken(t.db, token, {
    email: "a@example.test",
    name: "A",
    password: PASSWORD,
  });
  assert.equal(admin?.email, "a@example.test");
  assert.equal(
    await useSetupToken(t.db, token, {
      email: "b@example.test",
      name: "",
      password: PASSWORD,
    }),
    null,
  );
  assert.equal(await setupTokenValid(t.db, token), false);
  assert.deepEqual((await listUsers(t.db)).map((u) => u.role), ["admin"]);
  const stored = await t.db.query<{ token_hash: string }>(
    "select token_hash from setup_token",
  );
  assert.ok(stored.every((row) => row.token_hash !== token));
});

Deno.test("an expired setup link is refused", async () => {
  await using t = await testDb();
  const link = await ensureFirstAdmin(t.db, {});
  const token = link.kind === "setup-link" ? link.token : "";
  await t.db.query(
    "update setup_token set expires_at = now() - interval '1 second'",
  );
  assert.equal(
    await useSetupToken(t.db, token, {
      email: "a@example.test",
      name: "",
      password: PASSWORD,
    }),
    null,
  );
});
