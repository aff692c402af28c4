import assert from "node:assert/strict";
import { loadSecretKey } from "./secret_key.ts";
import { toBase64 } from "./secret_box.ts";

Deno.test("loadSecretKey() returns a valid ETL_SECRET_KEY without touching the data dir", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const key = toBase64(new Uint8Array(32).fill(1));
    assert.equal(await loadSecretKey({ secretKey: key, dataDir }), key);
    assert.deepEqual([...Deno.readDirSync(dataDir)], []);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("loadSecretKey() rejects a malformed ETL_SECRET_KEY with the fix", async () => {
  await assert.rejects(
    loadSecretKey({ secretKey: "c2hvcnQ=", dataDir: "/nonexistent" }),
    (error: Error) => {
      assert.match(error.message, /^Cannot use ETL_SECRET_KEY: /);
      assert.match(error.message, /openssl rand -base64 32/);
      return true;
    },
  );
  await assert.rejects(
    loadSecretKey({ secretKey: "%%%", dataDir: "/nonexistent" }),
    /Cannot use ETL_SECRET_KEY: it is not valid base64/,
  );
});

Deno.test("loadSecretKey() generates a 0600 key file once, creating the directory", async () => {
  const parent = await Deno.makeTempDir();
  const dataDir = `${parent}/nested/data`;
  try {
    const key = await loadSecretKey({ dataDir });
    assert.equal(atob(key).length, 32);
    const info = await Deno.stat(`${dataDir}/secret.key`);
    assert.equal(info.mode! & 0o777, 0o600);
    assert.equal(await loadSecretKey({ dataDir }), key);
    assert.equal(await loadSecretKey({ secretKey: "", dataDir }), key);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("loadSecretKey() rejects a corrupt key file instead of replacing it", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dataDir}/secret.key`, "garbage");
    await assert.rejects(
      loadSecretKey({ dataDir }),
      /Cannot use key file ".*secret.key": /,
    );
    assert.equal(await Deno.readTextFile(`${dataDir}/secret.key`), "garbage");
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});
