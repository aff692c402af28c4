import assert from "node:assert/strict";
import {
  keyFilePath,
  loadKeyring,
  loadSecretKeys,
  parseKeyList,
  readKeyFile,
  writeKeyFile,
} from "./secret_key.ts";
import { generateKey, keyIdOf, toBase64 } from "./keyring.ts";

Deno.test("loadSecretKeys() returns a valid ETL_SECRET_KEY without touching the data dir", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const key = toBase64(new Uint8Array(32).fill(1));
    assert.deepEqual(await loadSecretKeys({ secretKey: key, dataDir }), {
      keys: [key],
      source: { type: "env" },
    });
    assert.deepEqual([...Deno.readDirSync(dataDir)], []);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("loadSecretKeys() reads ETL_SECRET_KEY as a comma-separated list, the first active", async () => {
  const [a, b] = [generateKey(), generateKey()];
  const loaded = await loadSecretKeys({
    secretKey: ` ${a}, ${b} `,
    dataDir: "/nonexistent",
  });
  assert.deepEqual(loaded.keys, [a, b]);
  const keyring = await loadKeyring({
    secretKey: `${a},${b}`,
    dataDir: "/nonexistent",
  });
  assert.deepEqual(keyring.keyIds, [await keyIdOf(a), await keyIdOf(b)]);
  assert.deepEqual(keyring.source, { type: "env" });
});

Deno.test("loadSecretKeys() rejects a malformed ETL_SECRET_KEY with the fix, never echoing it", async () => {
  await assert.rejects(
    loadSecretKeys({ secretKey: "c2hvcnQ=", dataDir: "/nonexistent" }),
    (error: Error) => {
      assert.match(error.message, /^Cannot use ETL_SECRET_KEY: /);
      assert.match(error.message, /openssl rand -base64 32/);
      assert.ok(!error.message.includes("c2hvcnQ="));
      return true;
    },
  );
  await assert.rejects(
    loadSecretKeys({ secretKey: "%%%", dataDir: "/nonexistent" }),
    /Cannot use ETL_SECRET_KEY: it is not valid base64/,
  );
  await assert.rejects(
    loadSecretKeys({
      secretKey: `${generateKey()},c2hvcnQ=`,
      dataDir: "/nonexistent",
    }),
    /Cannot use ETL_SECRET_KEY: key 2 of 2: it decodes to 5 bytes/,
  );
});

Deno.test("loadSecretKeys() generates a 0600 key file once, creating the directory", async () => {
  const parent = await Deno.makeTempDir();
  const dataDir = `${parent}/nested/data`;
  try {
    const { keys, source } = await loadSecretKeys({ dataDir });
    assert.equal(keys.length, 1);
    assert.equal(atob(keys[0]).length, 32);
    assert.deepEqual(source, { type: "file", path: keyFilePath(dataDir) });
    const info = await Deno.stat(keyFilePath(dataDir));
    assert.equal(info.mode! & 0o777, 0o600);
    assert.deepEqual((await loadSecretKeys({ dataDir })).keys, keys);
    assert.deepEqual(
      (await loadSecretKeys({ secretKey: "", dataDir })).keys,
      keys,
    );
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("loadSecretKeys() reads a key file of several lines, the first active", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const [a, b] = [generateKey(), generateKey()];
    await Deno.writeTextFile(keyFilePath(dataDir), `${a}\n${b}\n`);
    assert.deepEqual((await loadSecretKeys({ dataDir })).keys, [a, b]);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("loadSecretKeys() rejects a corrupt key file instead of replacing it", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(keyFilePath(dataDir), "garbage");
    await assert.rejects(
      loadSecretKeys({ dataDir }),
      /Cannot use key file ".*secret.key": /,
    );
    assert.equal(await Deno.readTextFile(keyFilePath(dataDir)), "garbage");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("writeKeyFile() replaces the key file atomically with a 0600 file and no leftovers", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const path = keyFilePath(dataDir);
    await Deno.writeTextFile(path, generateKey() + "\n", { mode: 0o644 });
    await Deno.chmod(path, 0o644);
    const [a, b] = [generateKey(), generateKey()];
    await writeKeyFile(path, [a, b]);
    assert.equal(await Deno.readTextFile(path), `${a}\n${b}\n`);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    assert.deepEqual(await readKeyFile(path), [a, b]);
    assert.deepEqual(
      [...Deno.readDirSync(dataDir)].map((e) => e.name),
      ["secret.key"],
    );
    await assert.rejects(writeKeyFile(path, ["bad!"]), /not valid base64/);
    assert.deepEqual(await readKeyFile(path), [a, b]);
    assert.equal(await readKeyFile(`${dataDir}/none`), null);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("parseKeyList() refuses an empty list", () => {
  assert.throws(() => parseKeyList(" , \n", "ETL_SECRET_KEY"), /holds no key/);
});
