import assert from "node:assert/strict";
import { redactSecrets } from "./redact.ts";

Deno.test("redactSecrets() replaces every occurrence of each secret", () => {
  assert.equal(
    redactSecrets("pw=s3cret; again s3cret, token abcd", ["s3cret", "abcd"]),
    "pw=***; again ***, token ***",
  );
});

Deno.test("redactSecrets() ignores empty and very short secrets", () => {
  assert.equal(redactSecrets("a bc abc", ["", "a", "bc"]), "a bc abc");
  assert.equal(redactSecrets("a bc abc", ["abc"]), "a bc ***");
});

Deno.test("redactSecrets() replaces a longer secret whole when it contains a shorter one", () => {
  assert.equal(
    redactSecrets("x=password123", ["pass", "password123"]),
    "x=***",
  );
});

Deno.test("redactSecrets() treats secrets literally, not as patterns", () => {
  assert.equal(redactSecrets("a.b*c and aXbbc", ["a.b*c"]), "*** and aXbbc");
});
