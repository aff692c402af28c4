import assert from "node:assert/strict";
import { testDb } from "../db/test_db.ts";
import type { Db } from "../db/db.ts";
import {
  createConnector,
  resolveConnectorConfig,
} from "../connector/connector_store.ts";
import {
  previewConnector,
  previewRequestSchema,
  testConnector,
} from "../connector/connector_actions.ts";
import { listAuditEvents } from "../audit/audit_log.ts";
import {
  mysqlTestConfig,
  randomSuffix,
  scratchMysql,
} from "../../connectors/mysql/test_server.ts";
import { generateKey, keyIdOf, Keyring, sealWith } from "./keyring.ts";
import { SecretBox } from "./secret_box.ts";
import { keyFilePath, readKeyFile, writeKeyFile } from "./secret_key.ts";
import {
  rotateKey,
  rotateKeyFile,
  UnknownCredentialKeyError,
} from "./rotate_key.ts";

const MARIA_PASSWORD = "Rotate-Maria-s3cret-7731";
const REST_TOKEN = "rest-token-5512-abcdef";

interface Row {
  id: number;
  connector_id: number;
  key_id: string;
  wrapped_key: string | null;
  ciphertext: string;
}

function credentialRows(db: Db): Promise<Row[]> {
  return db.query<Row>(
    "select id, connector_id, key_id, wrapped_key, ciphertext from credential order by id",
  );
}

/** A MariaDB user with a real password on a scratch database, dropped after. */
async function mariaUserWithPassword() {
  const scratch = await scratchMysql();
  const user = `etl_rot_${randomSuffix()}`;
  for (const host of ["%", "localhost"]) {
    await scratch.db.query(`create user ?@? identified by ?`, [
      user,
      host,
      MARIA_PASSWORD,
    ]);
    await scratch.db.query(`grant select on ${scratch.database}.* to ?@?`, [
      user,
      host,
    ]);
  }
  await scratch.db.query("create table orders (id int primary key, note text)");
  await scratch.db.query("insert into orders values (1, 'a'), (2, 'b')");
  return {
    config: mysqlTestConfig(scratch.database, {
      user,
      password: MARIA_PASSWORD,
    }),
    async [Symbol.asyncDispose]() {
      await scratch.db.query(`drop user if exists ?@'%', ?@'localhost'`, [
        user,
        user,
      ]);
      await scratch[Symbol.asyncDispose]();
    },
  };
}

// Rewrites a credential as the first version stored it: sealed directly by
// the master key, no wrapped data key.
async function makeLegacy(
  db: Db,
  connectorId: number,
  masterKey: string,
  plaintext: string,
) {
  const raw = Uint8Array.from(atob(masterKey), (c) => c.charCodeAt(0));
  const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, [
    "encrypt",
  ]);
  await db.query(
    `update credential set wrapped_key = null, ciphertext = $2
      where connector_id = $1`,
    [connectorId, await sealWith(key, new TextEncoder().encode(plaintext))],
  );
}

Deno.test("rotateKey() re-wraps every credential under the new key; the connectors work with that key alone", async () => {
  await using maria = await mariaUserWithPassword();
  await using t = await testDb();
  const oldKey = generateKey();
  const box = await SecretBox.fromKey(oldKey);
  const shop = await createConnector(t.db, box, {
    name: "shop",
    kind: "mysql",
    config: { ...maria.config },
  });
  const api = await createConnector(t.db, box, {
    name: "api",
    kind: "rest",
    config: {
      url: "http://127.0.0.1:1/items",
      auth_type: "bearer",
      token: REST_TOKEN,
    },
  });
  // The MariaDB password is a legacy row, as stored before envelopes.
  await makeLegacy(t.db, shop.id, oldKey, MARIA_PASSWORD);
  const before = await credentialRows(t.db);
  assert.equal(before.length, 2);
  assert.deepEqual(before.map((r) => r.wrapped_key === null), [true, false]);

  const newKey = generateKey();
  const result = await rotateKey(t.db, box.keyring, newKey, {
    actor: { id: null, label: "test" },
  });
  const newId = await keyIdOf(newKey);
  const oldId = await keyIdOf(oldKey);
  assert.deepEqual(result, { keyId: newId, rewrapped: 2 });
  // The running process's keyring switched in place: [new, old].
  assert.deepEqual(box.keyring.keyIds, [newId, oldId]);

  const after = await credentialRows(t.db);
  for (const [i, row] of after.entries()) {
    assert.equal(row.key_id, newId);
    assert.ok(row.wrapped_key);
    assert.notEqual(row.wrapped_key, before[i].wrapped_key);
  }
  // The legacy secret was sealed anew; the envelope's data key only re-wrapped.
  assert.notEqual(after[0].ciphertext, before[0].ciphertext);
  assert.equal(after[1].ciphertext, before[1].ciphertext);
  const table = JSON.stringify(
    await t.db.query("select c::text as row from credential c"),
  );
  for (const secret of [MARIA_PASSWORD, REST_TOKEN]) {
    assert.ok(!table.includes(secret));
    assert.ok(!table.includes(btoa(secret)));
  }

  const onlyNew = await SecretBox.fromKey(newKey);
  const deps = { db: t.db, box: onlyNew, fileRoots: [] };
  assert.deepEqual(
    (await resolveConnectorConfig(t.db, onlyNew, "api")).config.token,
    REST_TOKEN,
  );
  const tested = await testConnector(deps, shop.id);
  assert.equal(tested.ok, true, JSON.stringify(tested));
  const preview = await previewConnector(
    deps,
    shop.id,
    previewRequestSchema.parse({ table: "orders" }),
  );
  assert.deepEqual(preview.rows, [[1, "a"], [2, "b"]]);
  // The old key alone reads nothing any more, and says which key it lacks.
  await assert.rejects(
    resolveConnectorConfig(t.db, await SecretBox.fromKey(oldKey), api.id),
    (error: Error) => {
      assert.equal(
        error.message,
        `Cannot decrypt credential of connector "api": it was sealed with key ${newId}, which is not in the keyring`,
      );
      return true;
    },
  );

  const [event] = await listAuditEvents(t.db, { action: "key.rotate" });
  assert.equal(event.actor, "test");
  assert.deepEqual(event.detail, {
    keyId: newId,
    previousKeyIds: [oldId],
    rewrapped: 2,
  });
  assert.ok(!JSON.stringify(event).includes(newKey));
});

Deno.test("rotateKey() to the key already active converts legacy rows only, and again does nothing", async () => {
  await using t = await testDb();
  const key = generateKey();
  const box = await SecretBox.fromKey(key);
  const a = await createConnector(t.db, box, {
    name: "a",
    kind: "postgres",
    config: { database: "d", user: "u", password: "pw-a-1" },
  });
  await createConnector(t.db, box, {
    name: "b",
    kind: "postgres",
    config: { database: "d", user: "u", password: "pw-b-2" },
  });
  await makeLegacy(t.db, a.id, key, "pw-a-1");
  assert.equal((await rotateKey(t.db, box.keyring, key)).rewrapped, 1);
  assert.equal((await rotateKey(t.db, box.keyring, key)).rewrapped, 0);
  assert.deepEqual(box.keyring.keyIds, [await keyIdOf(key)]);
  const rows = await credentialRows(t.db);
  assert.ok(rows.every((r) => r.wrapped_key !== null));
  const resolved = await resolveConnectorConfig(t.db, box, "a");
  assert.equal(resolved.config.password, "pw-a-1");
  const events = await listAuditEvents(t.db, { action: "key.rotate" });
  assert.deepEqual(events.map((e) => [e.actor, e.detail.rewrapped]), [
    ["cli", 0],
    ["cli", 1],
  ]);
});

Deno.test("rotateKey() refuses, changing nothing, when a credential's key is not in the keyring", async () => {
  await using t = await testDb();
  const lost = await SecretBox.fromKey(generateKey());
  await createConnector(t.db, lost, {
    name: "orphan",
    kind: "postgres",
    config: { database: "d", user: "u", password: "pw-orphan" },
  });
  const keyring = await Keyring.fromKeys([generateKey()], { type: "env" });
  const idsBefore = keyring.keyIds;
  const rowsBefore = await credentialRows(t.db);
  await assert.rejects(
    rotateKey(t.db, keyring, generateKey()),
    (error: Error) => {
      assert.ok(error instanceof UnknownCredentialKeyError);
      assert.equal(
        error.message,
        `Cannot rotate the credential key: credentials of connector "orphan" were sealed with key ${lost.keyId}, which is not in ETL_SECRET_KEY. Add that key after the new one (e.g. ETL_SECRET_KEY=<new>,<old>) and run again`,
      );
      return true;
    },
  );
  assert.deepEqual(keyring.keyIds, idsBefore);
  assert.deepEqual(await credentialRows(t.db), rowsBefore);
  assert.deepEqual(await listAuditEvents(t.db, { action: "key.rotate" }), []);
});

Deno.test("rotateKeyFile() generates a key, keeps the file readable throughout and ends with the new key only", async () => {
  await using t = await testDb();
  const dataDir = await Deno.makeTempDir();
  try {
    const path = keyFilePath(dataDir);
    const [oldKey, older] = [generateKey(), generateKey()];
    await writeKeyFile(path, [oldKey, older]);
    const keyring = await Keyring.fromKeys([oldKey, older], {
      type: "file",
      path,
    });
    const box = new SecretBox(keyring);
    await createConnector(t.db, box, {
      name: "shop",
      kind: "postgres",
      config: { database: "d", user: "u", password: "pw-file" },
    });
    const result = await rotateKeyFile(t.db, keyring, path);
    const keys = (await readKeyFile(path))!;
    assert.equal(keys.length, 1);
    assert.equal(await keyIdOf(keys[0]), result.keyId);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual(keyring.keyIds, [
      result.keyId,
      await keyIdOf(oldKey),
      await keyIdOf(older),
    ]);
    // What a restarted server loads from the file reads every credential.
    const restarted = await SecretBox.fromKeys(keys);
    assert.equal(
      (await resolveConnectorConfig(t.db, restarted, "shop")).config.password,
      "pw-file",
    );
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("rotateKey() leaves no credential under the old key when a connector is created during it", async () => {
  await using t = await testDb();
  const box = await SecretBox.fromKey(generateKey());
  const newKey = generateKey();
  const rotation = rotateKey(t.db, box.keyring, newKey);
  const created = createConnector(t.db, box, {
    name: "during",
    kind: "postgres",
    config: { database: "d", user: "u", password: "pw-during" },
  });
  await Promise.all([rotation, created]);
  const rows = await credentialRows(t.db);
  assert.deepEqual(rows.map((r) => r.key_id), [await keyIdOf(newKey)]);
  const onlyNew = await SecretBox.fromKey(newKey);
  assert.equal(
    (await resolveConnectorConfig(t.db, onlyNew, "during")).config.password,
    "pw-during",
  );
});
