import assert from "node:assert/strict";
import type { z } from "zod";
import type { Db } from "../../lib/db/db.ts";
import { connectorKinds, openConnector, secretFieldsOf } from "../registry.ts";
import { restConfigSchema } from "./config.ts";
import { RestConnector } from "./rest_connector.ts";

const URL = "https://api.example.com/v1/orders";

function issues(config: Record<string, unknown>): Record<string, string> {
  const result = restConfigSchema.safeParse(config);
  assert.equal(result.success, false, "expected the config to be refused");
  return Object.fromEntries(
    result.error!.issues.map((issue) => [issue.path.join("."), issue.message]),
  );
}

Deno.test("restConfigSchema marks the token, password and API key secret", () => {
  assert.deepEqual(secretFieldsOf(restConfigSchema), [
    "token",
    "password",
    "api_key",
  ]);
  assert.deepEqual(connectorKinds.rest.secretFields, [
    "token",
    "password",
    "api_key",
  ]);
  assert.equal(connectorKinds.rest.canWrite, false);
  assert.equal(connectorKinds.rest.label, "REST API");
});

Deno.test("restConfigSchema describes every field", () => {
  for (const [name, field] of Object.entries(restConfigSchema.shape)) {
    const description = (field as z.ZodType).description;
    assert.ok(
      description && description.length > 10,
      `${name} has no description`,
    );
  }
});

Deno.test("restConfigSchema defaults to an unauthenticated, unpaginated GET", () => {
  const config = restConfigSchema.parse({ url: URL });
  assert.equal(config.method, "GET");
  assert.equal(config.auth_type, "none");
  assert.equal(config.pagination, "none");
  assert.equal(config.records_path, "");
  assert.equal(config.retries, 4);
  assert.equal(config.timeout_seconds, 30);
  assert.deepEqual(config.headers, {});
  assert.equal(config.rate_limit_per_second, undefined);
});

Deno.test("restConfigSchema refuses non-HTTP URLs and credentials in the URL", () => {
  assert.deepEqual(Object.keys(issues({ url: "ftp://example.com/x" })), [
    "url",
  ]);
  const found = issues({ url: "https://me:hunter22@api.example.com/x" });
  assert.match(found.url, /auth_type "basic"/);
  assert.ok(!found.url.includes("hunter22"));
});

Deno.test("restConfigSchema requires the secret of the chosen auth", () => {
  assert.match(issues({ url: URL, auth_type: "bearer" }).token, /token/);
  assert.match(issues({ url: URL, auth_type: "api_key" }).api_key, /api_key/);
  const basic = issues({ url: URL, auth_type: "basic" });
  assert.deepEqual(Object.keys(basic).sort(), ["password", "username"]);
  assert.doesNotThrow(() =>
    restConfigSchema.parse({
      url: URL,
      auth_type: "basic",
      username: "ann",
      password: "",
    })
  );
});

Deno.test("restConfigSchema requires next_token_path for cursor pagination", () => {
  const found = issues({ url: URL, pagination: "cursor" });
  assert.match(found.next_token_path, /meta\.next_cursor/);
});

Deno.test("restConfigSchema only takes a body with POST", () => {
  assert.match(issues({ url: URL, body: { a: 1 } }).body, /"POST"/);
  const config = restConfigSchema.parse({
    url: URL,
    method: "POST",
    body: { filter: { status: ["open"] } },
  });
  assert.deepEqual(config.body, { filter: { status: ["open"] } });
});

Deno.test("restConfigSchema refuses a zero rate limit and a negative retry count", () => {
  const found = issues({ url: URL, rate_limit_per_second: 0, retries: -1 });
  assert.deepEqual(Object.keys(found).sort(), [
    "rate_limit_per_second",
    "retries",
  ]);
});

Deno.test("openConnector() opens the rest kind with a validated config", () => {
  const deps = { db: {} as Db, fileRoots: [] };
  const rest = openConnector("rest", { url: URL }, deps);
  assert.ok(rest instanceof RestConnector);
  assert.throws(
    () => openConnector("rest", { url: URL, auth_type: "bearer" }, deps),
    (error: Error) => error.name === "ZodError" && /token/.test(error.message),
  );
});
