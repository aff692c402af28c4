import assert from "node:assert/strict";
import postgres from "postgres";
import {
  isClosedSocketWrite,
  isDroppedConnectionError,
} from "./postgres_socket_guard.ts";
import { TEST_PG_URL } from "./test_db.ts";

Deno.test("isDroppedConnectionError() takes a terminated connection's error from postgres.js, nothing else", async () => {
  const victim = postgres(TEST_PG_URL, { max: 1, onnotice: () => {} });
  const admin = postgres(TEST_PG_URL, { max: 1, onnotice: () => {} });
  try {
    const [{ pid }] = await victim`select pg_backend_pid() as pid`;
    const sleeping = victim`select pg_sleep(30)`.then(() => null, (e) => e);
    await admin`select pg_sleep(0.2)`;
    await admin`select pg_terminate_backend(${pid})`;
    const error = await sleeping;
    assert.ok(error instanceof Error, "the query should fail");
    assert.ok(isDroppedConnectionError(error), String(error?.stack));
  } finally {
    await victim.end({ timeout: 1 });
    await admin.end({ timeout: 1 });
  }
  // An ordinary SQL error, an error of ours with the same code, a non-error.
  const sql = postgres(TEST_PG_URL, { max: 1, onnotice: () => {} });
  try {
    const syntax = await sql`select from nowhere_at_all`.then(
      () => null,
      (e) => e,
    );
    assert.ok(syntax instanceof Error);
    assert.equal(isDroppedConnectionError(syntax), false);
  } finally {
    await sql.end({ timeout: 1 });
  }
  const ours = Object.assign(new Error("x"), { code: "57P01" });
  assert.equal(isDroppedConnectionError(ours), false);
  assert.equal(isDroppedConnectionError("57P01"), false);
  assert.equal(isClosedSocketWrite(ours), false);
});
