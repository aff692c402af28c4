// POST /api/v1/admin/rotate-key on a server whose keys come from
// ETL_SECRET_KEY: re-wraps under its first key, generates nothing. (The key
// file case runs through the CLI in cli/rotate_key_command_test.ts.)

import assert from "node:assert/strict";
import { testDb } from "../../../../lib/db/test_db.ts";
import { loadConfig } from "../../../../lib/config.ts";
import { openServices } from "../../../../lib/services.ts";
import { createApp } from "../../../../app.ts";
import { stopBundler } from "../../../../lib/web/mod.ts";
import { createApiToken } from "../../../../lib/auth/api_tokens.ts";
import { listAuditEvents } from "../../../../lib/audit/audit_log.ts";
import { createConnector } from "../../../../lib/connector/connector_store.ts";
import { SecretBox } from "../../../../lib/secrets/secret_box.ts";
import { generateKey, keyIdOf } from "../../../../lib/secrets/keyring.ts";

async function serverWithKeys(secretKey: string) {
  const t = await testDb();
  const dataDir = await Deno.makeTempDir({ prefix: "etl_rotate_route_" });
  const services = await openServices(
    loadConfig({ ETL_DATA_DIR: dataDir, ETL_SECRET_KEY: secretKey }),
    { db: t.db },
  );
  const handler = (await createApp(services)).handler();
  const [user] = await t.db.query<{ id: number }>(
    "insert into app_user (email, role) values ('root@example.com', 'admin') returning id",
  );
  const { token } = await createApiToken(t.db, Number(user.id), {
    name: "ops",
  });
  return {
    t,
    services,
    dataDir,
    rotate: () =>
      handler(
        new Request("http://localhost/api/v1/admin/rotate-key", {
          method: "POST",
          headers: { authorization: `Bearer ${token}` },
        }),
      ),
    async [Symbol.asyncDispose]() {
      await services.runEvents.close();
      await stopBundler();
      await t[Symbol.asyncDispose]();
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

Deno.test("POST /api/v1/admin/rotate-key with ETL_SECRET_KEY=new,old re-wraps under new, without generating a key", async () => {
  const [newKey, oldKey] = [generateKey(), generateKey()];
  await using s = await serverWithKeys(`${newKey},${oldKey}`);
  // Sealed by a process that still ran with the old key only.
  await createConnector(s.t.db, await SecretBox.fromKey(oldKey), {
    name: "shop",
    kind: "postgres",
    config: { database: "d", user: "u", password: "pw-route" },
  });
  const response = await s.rotate();
  const text = await response.text();
  assert.equal(response.status, 200, text);
  const newId = await keyIdOf(newKey);
  assert.deepEqual(JSON.parse(text), { keyId: newId, rewrapped: 1 });
  assert.ok(!text.includes(newKey));
  const rows = await s.t.db.query("select key_id from credential");
  assert.deepEqual(rows, [{ key_id: newId }]);
  assert.deepEqual(s.services.box.keyring.keyIds, [
    newId,
    await keyIdOf(oldKey),
  ]);
  // No key file: the operator owns ETL_SECRET_KEY.
  await assert.rejects(
    Deno.stat(`${s.dataDir}/secret.key`),
    Deno.errors.NotFound,
  );
  const [event] = await listAuditEvents(s.t.db, { action: "key.rotate" });
  assert.equal(event.actor, "root@example.com");
});

Deno.test("POST /api/v1/admin/rotate-key answers 409 naming the key it lacks", async () => {
  await using s = await serverWithKeys(generateKey());
  const lost = await SecretBox.fromKey(generateKey());
  await createConnector(s.t.db, lost, {
    name: "orphan",
    kind: "postgres",
    config: { database: "d", user: "u", password: "pw-orphan" },
  });
  const response = await s.rotate();
  assert.equal(response.status, 409);
  const problem = await response.json();
  assert.equal(
    problem.detail,
    `Cannot rotate the credential key: credentials of connector "orphan" were sealed with key ${lost.keyId}, which is not in ETL_SECRET_KEY. Add that key after the new one (e.g. ETL_SECRET_KEY=<new>,<old>) and run again`,
  );
});
