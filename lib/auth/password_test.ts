import assert from "node:assert/strict";
import {
  constantTimeEqual,
  DUMMY_PASSWORD_HASH,
  hashPassword,
  MIN_PASSWORD_LENGTH,
  PASSWORD_ITERATIONS,
  passwordProblem,
  verifyPassword,
} from "./password.ts";

const PASSWORD = "correct horse battery staple";
// Fewer iterations keep the tests fast; the format and checks are the same.
const FAST = 1_000;

Deno.test("a hash is pbkdf2-sha256$<iterations>$<16-byte salt>$<32-byte hash>, salted anew each time", async () => {
  const hash = await hashPassword(PASSWORD);
  const match = /^pbkdf2-sha256\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/
    .exec(hash);
  assert.ok(match, hash);
  assert.equal(Number(match[1]), PASSWORD_ITERATIONS);
  assert.ok(PASSWORD_ITERATIONS >= 600_000);
  assert.equal(atob(match[2]).length, 16);
  assert.equal(atob(match[3]).length, 32);
  assert.ok(!hash.includes(PASSWORD));
  const again = await hashPassword(PASSWORD);
  assert.notEqual(again, hash);
  assert.notEqual(again.split("$")[2], hash.split("$")[2]);
  assert.ok(await verifyPassword(PASSWORD, hash));
  assert.ok(await verifyPassword(PASSWORD, again));
});

Deno.test("verifyPassword accepts the right password only", async () => {
  const hash = await hashPassword(PASSWORD, FAST);
  assert.ok(hash.startsWith(`pbkdf2-sha256$${FAST}$`));
  assert.equal(await verifyPassword(PASSWORD, hash), true);
  for (
    const wrong of [
      "",
      "correct horse battery stapl",
      "correct horse battery staple ",
      "Correct horse battery staple",
      PASSWORD + PASSWORD,
    ]
  ) {
    assert.equal(await verifyPassword(wrong, hash), false, wrong);
  }
  // Unicode is hashed as UTF-8, byte for byte.
  const unicode = await hashPassword("pässwörd-ünïcödé-🔑", FAST);
  assert.ok(await verifyPassword("pässwörd-ünïcödé-🔑", unicode));
  assert.ok(!(await verifyPassword("passwörd-ünïcödé-🔑", unicode)));
});

Deno.test("a tampered or malformed hash never verifies, and never throws", async () => {
  const hash = await hashPassword(PASSWORD, FAST);
  const [scheme, iterations, salt, digest] = hash.split("$");
  const flip = (b64: string) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    bytes[bytes.length - 1] ^= 1;
    return btoa(String.fromCharCode(...bytes));
  };
  const tampered = [
    [scheme, iterations, salt, flip(digest)],
    [scheme, iterations, flip(salt), digest],
    [scheme, String(FAST + 1), salt, digest],
    ["pbkdf2-sha512", iterations, salt, digest],
    [scheme, "0", salt, digest],
    [scheme, "-5", salt, digest],
    [scheme, "1.5", salt, digest],
    [scheme, "lots", salt, digest],
    [scheme, iterations, salt, digest.slice(0, 20)],
    [scheme, iterations, salt, ""],
    [scheme, iterations, "", digest],
    [scheme, iterations, salt, "!!not base64!!"],
    [scheme, iterations, salt],
    [scheme],
  ].map((parts) => parts.join("$"));
  for (const stored of [...tampered, "", "plaintext", PASSWORD]) {
    assert.equal(await verifyPassword(PASSWORD, stored), false, stored);
  }
  // The untouched hash still verifies (the checks above were meaningful).
  assert.ok(await verifyPassword(PASSWORD, hash));
});

Deno.test("the dummy hash (for unknown emails) is well-formed, costs the same, and matches nothing", async () => {
  const [scheme, iterations, salt, digest] = DUMMY_PASSWORD_HASH.split("$");
  assert.equal(scheme, "pbkdf2-sha256");
  assert.equal(Number(iterations), PASSWORD_ITERATIONS);
  assert.equal(atob(salt).length, 16);
  assert.equal(atob(digest).length, 32);
  for (const password of ["", PASSWORD, "anything at all"]) {
    assert.equal(await verifyPassword(password, DUMMY_PASSWORD_HASH), false);
  }
});

Deno.test("constantTimeEqual compares every byte, with no early exit", () => {
  const a = Uint8Array.from({ length: 32 }, (_, i) => i);
  assert.equal(constantTimeEqual(a, a.slice()), true);
  assert.equal(constantTimeEqual(new Uint8Array(0), new Uint8Array(0)), true);
  for (const index of [0, 15, 31]) {
    const b = a.slice();
    b[index] ^= 0x80;
    assert.equal(constantTimeEqual(a, b), false, `differs at ${index}`);
  }
  assert.equal(constantTimeEqual(a, a.slice(0, 31)), false);
  assert.equal(constantTimeEqual(a.slice(0, 31), a), false);

  // Count the bytes read: a mismatch in the first byte reads as many as a
  // match does (an early exit would leak where the mismatch is).
  const reads = (x: Uint8Array, y: Uint8Array) => {
    let count = 0;
    const counting = (bytes: Uint8Array) =>
      new Proxy(bytes, {
        get(target, key) {
          if (typeof key === "string" && /^\d+$/.test(key)) count++;
          const value = Reflect.get(target, key, target);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
    const equal = constantTimeEqual(counting(x), counting(y));
    return { equal, count };
  };
  const same = reads(a, a.slice());
  const first = a.slice();
  first[0] ^= 1;
  const early = reads(a, first);
  const last = a.slice();
  last[31] ^= 1;
  const late = reads(a, last);
  assert.deepEqual(same, { equal: true, count: 64 });
  assert.deepEqual(early, { equal: false, count: 64 });
  assert.deepEqual(late, { equal: false, count: 64 });
});

Deno.test("passwordProblem enforces the length rule", () => {
  assert.equal(MIN_PASSWORD_LENGTH, 12);
  assert.match(passwordProblem("x".repeat(11))!, /at least 12/);
  assert.equal(passwordProblem("x".repeat(12)), null);
  assert.equal(passwordProblem("x".repeat(1024)), null);
  assert.match(passwordProblem("x".repeat(1025))!, /at most 1024/);
  assert.match(passwordProblem("")!, /at least/);
});
