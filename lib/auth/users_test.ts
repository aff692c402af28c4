import assert from "node:assert/strict";
import { testDb } from "../db/test_db.ts";
import {
  countUsers,
  createUser,
  EmailTakenError,
  findUserForSignIn,
  LastAdminError,
  newUserSchema,
  updateUser,
} from "./users.ts";
import { createSession, sessionPrincipal } from "./sessions.ts";
import { verifyPassword } from "./password.ts";

const PASSWORD = "a long enough password";

Deno.test("createUser() stores a PBKDF2 hash, never the password, and refuses a taken email", async () => {
  await using t = await testDb();
  const user = await createUser(t.db, {
    email: "ada@example.test",
    name: "Ada",
    role: "editor",
    password: PASSWORD,
  });
  assert.equal(user.role, "editor");
  const stored = await findUserForSignIn(t.db, " ADA@example.test ");
  assert.ok(stored?.passwordHash?.startsWith("pbkdf2-sha256$600000$"));
  assert.ok(!stored!.passwordHash!.includes(PASSWORD));
  assert.ok(await verifyPassword(PASSWORD, stored!.passwordHash!));
  await assert.rejects(
    createUser(t.db, { ...user, password: PASSWORD }),
    EmailTakenError,
  );
  assert.equal(await countUsers(t.db), 1);
});

Deno.test("newUserSchema normalises the email and refuses short passwords", () => {
  const parsed = newUserSchema.safeParse({
    email: " Ada@Example.TEST ",
    role: "viewer",
    password: "short",
  });
  assert.equal(parsed.success, false);
  assert.deepEqual(parsed.error!.issues.map((i) => i.path.join(".")), [
    "password",
  ]);
  const ok = newUserSchema.parse({
    email: " Ada@Example.TEST ",
    role: "viewer",
    password: PASSWORD,
  });
  assert.equal(ok.email, "ada@example.test");
});

Deno.test("updateUser() deactivation ends sessions; the last admin can't be demoted", async () => {
  await using t = await testDb();
  const admin = await createUser(t.db, {
    email: "root@example.test",
    name: "",
    role: "admin",
    password: PASSWORD,
  });
  const bob = await createUser(t.db, {
    email: "bob@example.test",
    name: "",
    role: "operator",
    password: PASSWORD,
  });
  const session = await createSession(t.db, bob.id, {
    ip: "127.0.0.1",
    userAgent: "test",
  });
  assert.equal((await sessionPrincipal(t.db, session.token))?.role, "operator");
  const off = await updateUser(t.db, bob.id, { active: false });
  assert.equal(off?.active, false);
  assert.equal(await sessionPrincipal(t.db, session.token), null);

  await assert.rejects(
    updateUser(t.db, admin.id, { role: "viewer" }),
    LastAdminError,
  );
  await assert.rejects(
    updateUser(t.db, admin.id, { active: false }),
    LastAdminError,
  );
  await updateUser(t.db, bob.id, { active: true, role: "admin" });
  const demoted = await updateUser(t.db, admin.id, { role: "viewer" });
  assert.equal(demoted?.role, "viewer");
  assert.equal(await updateUser(t.db, 999_999, { name: "x" }), null);
});
