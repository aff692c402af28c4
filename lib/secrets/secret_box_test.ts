import assert from "node:assert/strict";
import { SecretBox, toBase64 } from "./secret_box.ts";

function randomKey(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(32)));
}

Deno.test("SecretBox round-trips a secret and hides it in the ciphertext", async () => {
  const box = await SecretBox.fromKey(randomKey());
  const sealed = await box.encrypt("hunter2-pässword");
  assert.ok(!sealed.ciphertext.includes("hunter2"));
  assert.ok(!atob(sealed.ciphertext).includes("hunter2"));
  assert.equal(await box.decrypt(sealed), "hunter2-pässword");
});

Deno.test("SecretBox.encrypt() uses a fresh IV each time", async () => {
  const box = await SecretBox.fromKey(randomKey());
  const a = await box.encrypt("same");
  const b = await box.encrypt("same");
  assert.notEqual(a.ciphertext, b.ciphertext);
  // 12-byte IV + 4 bytes of text + 16-byte tag.
  assert.equal(atob(a.ciphertext).length, 12 + 4 + 16);
});

Deno.test("SecretBox key id is the first 16 hex chars of the key's SHA-256", async () => {
  const raw = new Uint8Array(32).fill(7);
  const box = await SecretBox.fromKey(toBase64(raw));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
  const expected = Array.from(digest, (b) => b.toString(16).padStart(2, "0"))
    .join("").slice(0, 16);
  assert.equal(box.keyId, expected);
  assert.equal((await box.encrypt("x")).keyId, expected);
});

Deno.test("SecretBox.decrypt() names both keys when the key differs, never the plaintext", async () => {
  const old = await SecretBox.fromKey(randomKey());
  const current = await SecretBox.fromKey(randomKey());
  const sealed = await old.encrypt("topsecret");
  await assert.rejects(current.decrypt(sealed), (error: Error) => {
    assert.equal(
      error.message,
      `Cannot decrypt credential: it was encrypted with key ${old.keyId}, but the current key is ${current.keyId}`,
    );
    assert.ok(!error.message.includes("topsecret"));
    return true;
  });
});

Deno.test("SecretBox.decrypt() refuses a tampered ciphertext", async () => {
  const box = await SecretBox.fromKey(randomKey());
  const sealed = await box.encrypt("topsecret");
  const bytes = Uint8Array.from(
    atob(sealed.ciphertext),
    (c) => c.charCodeAt(0),
  );
  bytes[bytes.length - 1] ^= 1;
  await assert.rejects(
    box.decrypt({ keyId: sealed.keyId, ciphertext: toBase64(bytes) }),
    /Cannot decrypt credential: ciphertext was altered/,
  );
});

Deno.test("SecretBox.fromKey() rejects a key that is not 32 bytes of base64", async () => {
  await assert.rejects(
    SecretBox.fromKey(toBase64(new Uint8Array(16))),
    /decodes to 16 bytes, expected 32.*openssl rand -base64 32/,
  );
  await assert.rejects(SecretBox.fromKey("not base64!"), /not valid base64/);
});
