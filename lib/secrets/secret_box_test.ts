import assert from "node:assert/strict";
import { type SealedSecret, SecretBox } from "./secret_box.ts";
import { generateKey, Keyring, sealWith, toBase64 } from "./keyring.ts";

function flipLastByte(base64: string): string {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  bytes[bytes.length - 1] ^= 1;
  return toBase64(bytes);
}

// What the first version stored: the secret sealed directly by the master key.
async function legacySeal(key: string, text: string): Promise<SealedSecret> {
  const box = await SecretBox.fromKey(key);
  const raw = Uint8Array.from(atob(key), (c) => c.charCodeAt(0));
  const master = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, [
    "encrypt",
  ]);
  return {
    keyId: box.keyId,
    wrappedKey: null,
    ciphertext: await sealWith(master, new TextEncoder().encode(text)),
  };
}

Deno.test("SecretBox seals each secret under its own data key, wrapped by the active key", async () => {
  const box = await SecretBox.fromKey(generateKey());
  const a = await box.encrypt("hunter2-pässword");
  const b = await box.encrypt("hunter2-pässword");
  assert.equal(a.keyId, box.keyId);
  assert.ok(a.wrappedKey);
  assert.notEqual(a.wrappedKey, b.wrappedKey);
  assert.notEqual(a.ciphertext, b.ciphertext);
  for (const part of [a.ciphertext, a.wrappedKey!]) {
    assert.ok(!part.includes("hunter2"));
    assert.ok(!atob(part).includes("hunter2"));
  }
  // 12-byte IV + 32-byte data key + 16-byte tag.
  assert.equal(atob(a.wrappedKey!).length, 12 + 32 + 16);
  assert.equal(await box.decrypt(a), "hunter2-pässword");
});

Deno.test("SecretBox.decrypt() reads a legacy secret sealed directly by the master key", async () => {
  const key = generateKey();
  const legacy = await legacySeal(key, "old-secret");
  const box = await SecretBox.fromKeys([generateKey(), key]);
  assert.equal(await box.decrypt(legacy), "old-secret");
});

Deno.test("SecretBox.decrypt() with a keyring lacking the key names that key, never the plaintext", async () => {
  const old = await SecretBox.fromKey(generateKey());
  const sealed = await old.encrypt("topsecret");
  const current = await SecretBox.fromKeys([generateKey()], { type: "env" });
  await assert.rejects(
    current.decrypt(sealed, 'credential of connector "shop"'),
    (error: Error) => {
      assert.equal(
        error.message,
        `Cannot decrypt credential of connector "shop": it was sealed with key ${old.keyId}, which is not in ETL_SECRET_KEY`,
      );
      assert.ok(!error.message.includes("topsecret"));
      return true;
    },
  );
});

Deno.test("SecretBox.decrypt() refuses an altered ciphertext, wrapped key or key id", async () => {
  const box = await SecretBox.fromKeys([generateKey(), generateKey()]);
  const sealed = await box.encrypt("topsecret");
  const altered: SealedSecret[] = [
    { ...sealed, ciphertext: flipLastByte(sealed.ciphertext) },
    { ...sealed, wrappedKey: flipLastByte(sealed.wrappedKey!) },
    // The other key of the ring cannot unwrap it.
    { ...sealed, keyId: box.keyring.keyIds[1] },
    // A data key swapped in from another secret opens nothing.
    { ...sealed, wrappedKey: (await box.encrypt("other")).wrappedKey },
  ];
  for (const secret of altered) {
    await assert.rejects(box.decrypt(secret), (error: Error) => {
      assert.match(error.message, /^Cannot decrypt credential.*was altered/);
      assert.ok(!error.message.includes("topsecret"));
      return true;
    });
  }
  await assert.rejects(
    box.decrypt({ ...sealed, ciphertext: "%%%" }),
    /Cannot decrypt credential: it is not base64/,
  );
  await assert.rejects(
    box.decrypt({ ...sealed, ciphertext: "AAAA" }),
    /Cannot decrypt credential: it is too short/,
  );
});

Deno.test("SecretBox.rewrap() moves a secret to the active key: same ciphertext, legacy sealed anew", async () => {
  const [oldKey, newKey] = [generateKey(), generateKey()];
  const oldBox = await SecretBox.fromKey(oldKey);
  const sealed = await oldBox.encrypt("s3cret");
  const legacy = await legacySeal(oldKey, "legacy-s3cret");
  const keyring = await Keyring.fromKeys([newKey, oldKey]);
  const box = new SecretBox(keyring);
  const rewrapped = await box.rewrap(sealed);
  assert.equal(rewrapped.keyId, keyring.activeKeyId);
  assert.equal(rewrapped.ciphertext, sealed.ciphertext);
  assert.notEqual(rewrapped.wrappedKey, sealed.wrappedKey);
  const converted = await box.rewrap(legacy);
  assert.equal(converted.keyId, keyring.activeKeyId);
  assert.ok(converted.wrappedKey);
  assert.notEqual(converted.ciphertext, legacy.ciphertext);
  // Readable with the new key alone.
  const onlyNew = await SecretBox.fromKey(newKey);
  assert.equal(await onlyNew.decrypt(rewrapped), "s3cret");
  assert.equal(await onlyNew.decrypt(converted), "legacy-s3cret");
  await assert.rejects(oldBox.decrypt(rewrapped), /which is not in/);
});

Deno.test("SecretBox follows its keyring when the keyring's keys are swapped", async () => {
  const box = await SecretBox.fromKey(generateKey());
  const before = await box.encrypt("x");
  const newKey = generateKey();
  await box.keyring.activate(newKey);
  const after = await box.encrypt("y");
  assert.notEqual(after.keyId, before.keyId);
  assert.equal(after.keyId, box.keyId);
  assert.equal(await box.decrypt(before), "x");
  assert.equal(await box.decrypt(after), "y");
});
