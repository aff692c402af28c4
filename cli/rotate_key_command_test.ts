// `deno task etl rotate-key` as an operator runs it: a real process on an
// embedded data directory (idle, or held by a running server), and on a
// fleet's PostgreSQL.

import assert from "node:assert/strict";
import { runEtl } from "./test_cli.ts";
import { openDb } from "../lib/db/open_db.ts";
import { lockDataDir } from "../lib/db/data_dir_lock.ts";
import { createScratchDatabase, testDb } from "../lib/db/test_db.ts";
import type { Db } from "../lib/db/db.ts";
import { loadConfig } from "../lib/config.ts";
import { openServices } from "../lib/services.ts";
import { createApp } from "../app.ts";
import { stopBundler } from "../lib/web/mod.ts";
import { createApiToken } from "../lib/auth/api_tokens.ts";
import { listAuditEvents } from "../lib/audit/audit_log.ts";
import {
  createConnector,
  resolveConnectorConfig,
} from "../lib/connector/connector_store.ts";
import { SecretBox } from "../lib/secrets/secret_box.ts";
import { generateKey, keyIdOf } from "../lib/secrets/keyring.ts";
import {
  keyFilePath,
  loadKeyring,
  readKeyFile,
} from "../lib/secrets/secret_key.ts";

const PASSWORD = "Cli-rotate-s3cret-4410";

function addShop(db: Db, box: SecretBox) {
  return createConnector(db, box, {
    name: "shop",
    kind: "postgres",
    config: { database: "d", user: "u", password: PASSWORD },
  });
}

function rotated(keyId: string, count = 1): string {
  return `Rotated the credential key: ${count} credential${
    count === 1 ? "" : "s"
  } re-wrapped under key ${keyId}\n`;
}

async function withDataDir(fn: (dataDir: string) => Promise<void>) {
  const dataDir = await Deno.makeTempDir({ prefix: "etl_cli_" });
  try {
    await fn(dataDir);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
}

// An embedded platform that ran once: PGlite database, key file, a connector.
async function embeddedPlatform(dataDir: string): Promise<string> {
  const opened = await openDb({ dataDir });
  try {
    const box = new SecretBox(await loadKeyring({ dataDir }));
    await addShop(opened.db, box);
    return box.keyId;
  } finally {
    await opened.close();
  }
}

Deno.test("etl rotate-key on an idle embedded data directory rotates the key file and every credential", async () => {
  await withDataDir(async (dataDir) => {
    const oldId = await embeddedPlatform(dataDir);
    const result = await runEtl(["rotate-key"], { ETL_DATA_DIR: dataDir });
    assert.equal(result.code, 0, result.stderr);
    const keys = (await readKeyFile(keyFilePath(dataDir)))!;
    assert.equal(keys.length, 1);
    const newId = await keyIdOf(keys[0]);
    assert.notEqual(newId, oldId);
    assert.equal(result.stdout, rotated(newId));
    assert.ok(!result.stdout.includes(keys[0]));
    assert.ok(!result.stderr.includes(keys[0]));
    assert.equal((await Deno.stat(keyFilePath(dataDir))).mode! & 0o777, 0o600);
    assert.deepEqual(
      [...Deno.readDirSync(dataDir)].map((e) => e.name).filter((n) =>
        n.includes("secret.key")
      ),
      ["secret.key"],
    );

    const opened = await openDb({ dataDir });
    try {
      const rows = await opened.db.query<{ key_id: string }>(
        "select key_id from credential",
      );
      assert.deepEqual(rows, [{ key_id: newId }]);
      const box = new SecretBox(await loadKeyring({ dataDir }));
      const shop = await resolveConnectorConfig(opened.db, box, "shop");
      assert.equal(shop.config.password, PASSWORD);
      const [event] = await listAuditEvents(opened.db, {
        action: "key.rotate",
      });
      assert.equal(event.actor, "cli");
      assert.deepEqual(event.detail, {
        keyId: newId,
        previousKeyIds: [oldId],
        rewrapped: 1,
      });
    } finally {
      await opened.close();
    }
  });
});

Deno.test("etl rotate-key on a data directory held by a server says exactly what to run instead", async () => {
  await withDataDir(async (dataDir) => {
    await embeddedPlatform(dataDir);
    const before = await Deno.readTextFile(keyFilePath(dataDir));
    const lock = await lockDataDir(dataDir);
    try {
      const result = await runEtl(["rotate-key"], {
        ETL_DATA_DIR: dataDir,
        PORT: "8123",
      });
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr,
        `error: Cannot rotate: the data directory ${
          JSON.stringify(dataDir)
        } is in use by a running server (pid ${Deno.pid}). Rotate through that server: ETL_TOKEN=<an admin's API token> deno task etl rotate-key --server http://localhost:8123\n`,
      );
    } finally {
      lock.release();
    }
    assert.equal(await Deno.readTextFile(keyFilePath(dataDir)), before);
  });
});

Deno.test("etl rotate-key without a platform's data directory fails with the fix", async () => {
  await withDataDir(async (dataDir) => {
    const result = await runEtl(["rotate-key"], { ETL_DATA_DIR: dataDir });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^error: Cannot rotate: there is no key file ".*secret.key"\. Set ETL_DATA_DIR/,
    );
    assert.deepEqual([...Deno.readDirSync(dataDir)], []);
  });
});

Deno.test("etl rotate-key --server rotates through the running server that holds the data directory", async () => {
  await withDataDir(async (dataDir) => {
    await using t = await testDb();
    const services = await openServices(
      loadConfig({ ETL_DATA_DIR: dataDir }),
      { db: t.db },
    );
    const app = await createApp(services);
    const { promise, resolve } = Promise.withResolvers<string>();
    const server = app.listen({
      port: 0,
      hostname: "127.0.0.1",
      onListen: ({ port }) => resolve(`http://127.0.0.1:${port}`),
    });
    try {
      const url = await promise;
      const token = async (email: string, role: string) => {
        const [user] = await t.db.query<{ id: number }>(
          "insert into app_user (email, role) values ($1, $2) returning id",
          [email, role],
        );
        return (await createApiToken(t.db, Number(user.id), { name: "cli" }))
          .token;
      };
      const admin = await token("admin@example.com", "admin");
      const editor = await token("editor@example.com", "editor");
      await addShop(t.db, services.box);
      const oldId = services.box.keyId;

      const noToken = await runEtl(["rotate-key", "--server", url]);
      assert.equal(noToken.code, 2);
      assert.match(noToken.stderr, /set ETL_TOKEN to an admin's API token/);
      const wrong = await runEtl(["rotate-key", "--server", url], {
        ETL_TOKEN: "etl_not-a-token",
      });
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /: 401 The API token is unknown/);
      const notAdmin = await runEtl(["rotate-key", "--server", url], {
        ETL_TOKEN: editor,
      });
      assert.equal(notAdmin.code, 1);
      assert.match(notAdmin.stderr, /: 403 /);
      assert.equal(services.box.keyId, oldId);

      const result = await runEtl(["rotate-key", "--server", url], {
        ETL_TOKEN: admin,
      });
      assert.equal(result.code, 0, result.stderr);
      // The server's keyring switched in place, without a restart.
      const newId = services.box.keyId;
      assert.notEqual(newId, oldId);
      assert.deepEqual(services.box.keyring.keyIds, [newId, oldId]);
      assert.equal(result.stdout, rotated(newId));
      const keys = (await readKeyFile(keyFilePath(dataDir)))!;
      assert.deepEqual(await Promise.all(keys.map(keyIdOf)), [newId]);
      const shop = await resolveConnectorConfig(
        t.db,
        await SecretBox.fromKeys(keys),
        "shop",
      );
      assert.equal(shop.config.password, PASSWORD);
      const [event] = await listAuditEvents(t.db, { action: "key.rotate" });
      assert.equal(event.actor, "admin@example.com");
      assert.equal(event.ip, "127.0.0.1");
      assert.equal(event.detail.keyId, newId);
    } finally {
      await server.shutdown();
      await services.runEvents.close();
      await stopBundler();
    }
  });
});

Deno.test("etl rotate-key on a fleet's PostgreSQL re-wraps under the first key of ETL_SECRET_KEY", async () => {
  const scratch = await createScratchDatabase("etl_cli_rotate");
  const dataDir = await Deno.makeTempDir({ prefix: "etl_cli_" });
  try {
    const oldKey = generateKey();
    const opened = await openDb({ databaseUrl: scratch.url, dataDir });
    try {
      await addShop(opened.db, await SecretBox.fromKey(oldKey));
    } finally {
      await opened.close();
    }
    const env = { DATABASE_URL: scratch.url, ETL_DATA_DIR: dataDir };

    const noKey = await runEtl(["rotate-key"], env);
    assert.equal(noKey.code, 2);
    assert.match(
      noKey.stderr,
      /^error: Cannot rotate: ETL_SECRET_KEY is not set/,
    );

    const newKey = generateKey();
    const missing = await runEtl(["rotate-key"], {
      ...env,
      ETL_SECRET_KEY: newKey,
    });
    assert.equal(missing.code, 1);
    assert.equal(
      missing.stderr,
      `error: Cannot rotate the credential key: credentials of connector "shop" were sealed with key ${await keyIdOf(
        oldKey,
      )}, which is not in ETL_SECRET_KEY. Add that key after the new one (e.g. ETL_SECRET_KEY=<new>,<old>) and run again\n`,
    );

    const result = await runEtl(["rotate-key"], {
      ...env,
      ETL_SECRET_KEY: `${newKey},${oldKey}`,
    });
    assert.equal(result.code, 0, result.stderr);
    const newId = await keyIdOf(newKey);
    assert.equal(result.stdout, rotated(newId));
    for (const text of [result.stdout, result.stderr]) {
      assert.ok(!text.includes(newKey) && !text.includes(oldKey));
    }
    // The embedded data directory was not touched.
    assert.deepEqual([...Deno.readDirSync(dataDir)], []);

    const check = await openDb({ databaseUrl: scratch.url, dataDir });
    try {
      const rows = await check.db.query<{ key_id: string }>(
        "select key_id from credential",
      );
      assert.deepEqual(rows, [{ key_id: newId }]);
      const shop = await resolveConnectorConfig(
        check.db,
        await SecretBox.fromKey(newKey),
        "shop",
      );
      assert.equal(shop.config.password, PASSWORD);
    } finally {
      await check.close();
    }
  } finally {
    await scratch.drop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("etl rotate-key --generate prints one new key and the next steps", async () => {
  const result = await runEtl(["rotate-key", "--generate"]);
  assert.equal(result.code, 0);
  const key = result.stdout.trim();
  assert.equal(atob(key).length, 32);
  assert.equal(
    result.stderr,
    `New key ${await keyIdOf(
      key,
    )} (printed above; store it like a password). Next: restart each process with ETL_SECRET_KEY=<new>,<old>, then run ETL_SECRET_KEY=<new>,<old> deno task etl rotate-key\n`,
  );
});
