import assert from "node:assert/strict";
import {
  generateKey,
  keyIdOf,
  Keyring,
  MissingKeyError,
  toBase64,
} from "./keyring.ts";

Deno.test("Keyring key id is the first 16 hex chars of the key's SHA-256", async () => {
  const raw = new Uint8Array(32).fill(7);
  const keyring = await Keyring.fromKeys([toBase64(raw)]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
  const expected = Array.from(digest, (b) => b.toString(16).padStart(2, "0"))
    .join("").slice(0, 16);
  assert.equal(keyring.activeKeyId, expected);
  assert.equal(await keyIdOf(toBase64(raw)), expected);
});

Deno.test("Keyring: the first key seals, every key opens, a duplicate is kept once", async () => {
  const [a, b] = [generateKey(), generateKey()];
  const old = await Keyring.fromKeys([b]);
  const sealedByOld = await old.seal(new TextEncoder().encode("data key"));
  const keyring = await Keyring.fromKeys([a, b, a]);
  assert.deepEqual(keyring.keyIds, [await keyIdOf(a), await keyIdOf(b)]);
  const sealed = await keyring.seal(new TextEncoder().encode("data key"));
  assert.equal(sealed.keyId, await keyIdOf(a));
  for (const s of [sealed, sealedByOld]) {
    const opened = await keyring.open(s.keyId, s.sealed, "x");
    assert.equal(new TextDecoder().decode(opened), "data key");
  }
});

Deno.test("Keyring.open() names the missing key and where keys come from", async () => {
  const other = await Keyring.fromKeys([generateKey()]);
  const sealed = await other.seal(new TextEncoder().encode("k"));
  const keyring = await Keyring.fromKeys([generateKey()], { type: "env" });
  await assert.rejects(
    keyring.open(sealed.keyId, sealed.sealed, 'credential of connector "x"'),
    (error: Error) => {
      assert.ok(error instanceof MissingKeyError);
      assert.equal(
        error.message,
        `Cannot decrypt credential of connector "x": it was sealed with key ${sealed.keyId}, which is not in ETL_SECRET_KEY`,
      );
      return true;
    },
  );
  const fromFile = await Keyring.fromKeys([generateKey()], {
    type: "file",
    path: "/d/secret.key",
  });
  await assert.rejects(
    fromFile.open(sealed.keyId, sealed.sealed, "credential"),
    /which is not in key file "\/d\/secret.key"$/,
  );
});

Deno.test("Keyring.activate() swaps the active key in place for every holder", async () => {
  const [a, b] = [generateKey(), generateKey()];
  const keyring = await Keyring.fromKeys([a]);
  const held = keyring;
  assert.equal(await keyring.activate(b), await keyIdOf(b));
  assert.deepEqual(held.keyIds, [await keyIdOf(b), await keyIdOf(a)]);
  // Activating a key already on the ring moves it to the front, once.
  await keyring.activate(a);
  assert.deepEqual(held.keyIds, [await keyIdOf(a), await keyIdOf(b)]);
  await keyring.replace([b]);
  assert.deepEqual(held.keyIds, [await keyIdOf(b)]);
  assert.equal(held.has(await keyIdOf(a)), false);
});

Deno.test("Keyring.fromKeys() rejects no keys and malformed keys with the fix", async () => {
  await assert.rejects(Keyring.fromKeys([]), /none given.*openssl rand/);
  await assert.rejects(
    Keyring.fromKeys([toBase64(new Uint8Array(16))]),
    /decodes to 16 bytes, expected 32.*openssl rand -base64 32/,
  );
  await assert.rejects(Keyring.fromKeys(["not base64!"]), /not valid base64/);
});
