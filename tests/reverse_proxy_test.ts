// Behind a reverse proxy (ETL_TRUST_PROXY=1) the client's address and HTTPS
// come from X-Forwarded-For / X-Forwarded-Proto; otherwise those headers,
// which any client can send, are ignored.

import assert from "node:assert/strict";
import { startPlatform, TEST_PASSWORD } from "./harness.ts";
import { listAuditEvents } from "../lib/audit/audit_log.ts";

async function signInThroughProxy(trustProxy: boolean) {
  await using p = await startPlatform({ trustProxy });
  const response = await p.fetch("/api/v1/auth/login", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: "",
      "x-forwarded-for": "203.0.113.9, 10.0.0.2",
      "x-forwarded-proto": "https",
    },
    body: JSON.stringify({ email: p.admin.email, password: TEST_PASSWORD }),
  });
  assert.equal(response.status, 200);
  await response.body?.cancel();
  const [event] = await listAuditEvents(p.services.db, {
    action: "auth.sign_in",
  });
  return { cookie: response.headers.get("set-cookie") ?? "", ip: event.ip };
}

Deno.test("with ETL_TRUST_PROXY the proxy's headers give the client address and Secure cookies", async () => {
  const { cookie, ip } = await signInThroughProxy(true);
  assert.match(cookie, /; Secure/);
  assert.equal(ip, "203.0.113.9");
});

Deno.test("without ETL_TRUST_PROXY forwarded headers are ignored", async () => {
  const { cookie, ip } = await signInThroughProxy(false);
  assert.doesNotMatch(cookie, /Secure/);
  assert.equal(ip, "local");
});
