import assert from "node:assert/strict";
import { secretFieldsOf } from "../registry.ts";
import {
  AuthError,
  ConnectionError,
  ConnectorError,
  SchemaError,
} from "../errors.ts";
import { s3ConfigSchema } from "./config.ts";
import { S3Connector } from "./s3_connector.ts";
import { collect, startS3 } from "./test_server.ts";

const SECRET = "wJalrXUtnFEMI-not-the-real-secret";

Deno.test("s3ConfigSchema marks the secret key and session token secret and describes every field", () => {
  assert.deepEqual(secretFieldsOf(s3ConfigSchema), [
    "secret_access_key",
    "session_token",
  ]);
  for (const [name, field] of Object.entries(s3ConfigSchema.shape)) {
    assert.ok(field.description, `${name} has a description`);
  }
  const parsed = s3ConfigSchema.parse({
    bucket: "acme-exports",
    access_key_id: "AKIA",
    secret_access_key: SECRET,
  });
  assert.equal(parsed.region, "us-east-1");
  assert.equal(parsed.timeout_seconds, 10);
  assert.equal(parsed.header, true);
  const bad = s3ConfigSchema.safeParse({ ...parsed, bucket: "Acme_Exports" });
  assert.match(bad.error?.issues[0].message ?? "", /3 to 63 lowercase/);
});

Deno.test("S3Connector.check() reports an existing bucket as S3", async () => {
  await using s3 = await startS3();
  assert.deepEqual(await s3.connector().check(), { ok: true, version: "S3" });
});

Deno.test("S3Connector.check() reports a missing bucket as a SchemaError", async () => {
  await using s3 = await startS3();
  const connector = s3.connector({ bucket: "no-such-bucket" });
  await assert.rejects(connector.check(), (error) => {
    assert.ok(error instanceof SchemaError);
    assert.equal(
      error.message,
      `Cannot connect to S3 bucket "no-such-bucket" at ${s3.endpoint}: bucket not found`,
    );
    return true;
  });
  await assert.rejects(collect(connector.read({ path: "a/" })), {
    name: "SchemaError",
    message:
      /^Cannot list "s3:\/\/no-such-bucket\/a\/": bucket "no-such-bucket" not found$/,
  });
});

function assertAuthError(error: unknown): true {
  assert.ok(error instanceof AuthError, String(error));
  assert.match(error.message, /^Cannot (connect to|list) .*HTTP 403/);
  assert.ok(!error.message.includes(SECRET), error.message);
  return true;
}

// s3rver checks the access key ID (but not the signature): a real 403, as a
// bare HEAD status (check) and as an XML error (listing).
Deno.test("S3Connector reports an unknown access key as an AuthError", async () => {
  await using s3 = await startS3();
  const connector = s3.connector({
    access_key_id: "AKIAWRONG",
    secret_access_key: SECRET,
  });
  await assert.rejects(connector.check(), assertAuthError);
  await assert.rejects(collect(connector.read()), (error) => {
    assertAuthError(error);
    assert.match((error as Error).message, /Access Key Id you provided/);
    return true;
  });
});

// A wrong secret needs a store that checks signatures: a stub answering like
// S3 does, which even echoes the secret to prove it is redacted.
Deno.test("S3Connector reports a refused signature as an AuthError without the secret", async () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?><Error>
    <Code>SignatureDoesNotMatch</Code>
    <Message>Signature does not match for key ${SECRET}</Message>
    <RequestId>4442587FB7D0A2F9</RequestId></Error>`;
  await using stub = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () =>
      new Response(xml, {
        status: 403,
        headers: { "content-type": "application/xml" },
      }),
  );
  const connector = new S3Connector(s3ConfigSchema.parse({
    bucket: "test-bucket",
    endpoint: `http://127.0.0.1:${stub.addr.port}`,
    access_key_id: "AKIAEXAMPLE",
    secret_access_key: SECRET,
  }));
  try {
    await assert.rejects(connector.check(), assertAuthError);
    await assert.rejects(collect(connector.read()), (error) => {
      assertAuthError(error);
      assert.match((error as Error).message, /for key \*\*\*/);
      return true;
    });
  } finally {
    await connector.close();
  }
});

Deno.test("S3Connector.check() fails fast with a ConnectionError when the store is unreachable", async () => {
  const connector = new S3Connector(s3ConfigSchema.parse({
    bucket: "test-bucket",
    endpoint: "http://127.0.0.1:1",
    access_key_id: "S3RVER",
    secret_access_key: SECRET,
    timeout_seconds: 2,
  }));
  const started = Date.now();
  try {
    await assert.rejects(connector.check(), (error) => {
      assert.ok(error instanceof ConnectionError, String(error));
      assert.match(
        error.message,
        /^Cannot connect to S3 bucket "test-bucket" at http:\/\/127\.0\.0\.1:1: /,
      );
      assert.ok(!error.message.includes(SECRET));
      return true;
    });
  } finally {
    await connector.close();
  }
  assert.ok(Date.now() - started < 5000, "gave up within 5 s");
});

Deno.test("S3Connector.discover() groups objects by folder with the first object's columns", async () => {
  await using s3 = await startS3();
  await s3.put("lake/sales/2026-01.csv", "id,amount\n1,2.5\n");
  await s3.put("lake/sales/2026-02.csv", "id,amount\n2,3.5\n");
  await s3.put("lake/customers.ndjson", '{"id":1,"name":"Ann"}\n');
  await s3.put("lake/archive/2025.json", '[{"year":2025}]');
  await s3.put("lake/notes.txt", "not data");
  await s3.put("elsewhere/x.csv", "a\n1\n");
  const tables = await s3.connector({ prefix: "lake" }).discover();
  assert.deepEqual(tables, [
    { name: "archive/2025.json", columns: [{ name: "year", type: "bigint" }] },
    {
      name: "customers.ndjson",
      columns: [{ name: "id", type: "bigint" }, { name: "name", type: "text" }],
    },
    {
      name: "sales/",
      columns: [{ name: "id", type: "bigint" }, {
        name: "amount",
        type: "numeric",
      }],
    },
  ]);
});

Deno.test("S3Connector.read() reads a discovered folder table by name", async () => {
  await using s3 = await startS3();
  await s3.put("sales/2026-01.csv", "id\n1\n");
  await s3.put("sales/2026-02.csv", "id\n2\n");
  const connector = s3.connector();
  const [table] = await connector.discover();
  const batches = await collect(connector.read({ table: table.name }));
  assert.deepEqual(batches.flatMap((batch) => batch.rows), [["1"], ["2"]]);
});

Deno.test("S3Connector.write() refuses merge before touching the store", async () => {
  const connector = new S3Connector(s3ConfigSchema.parse({
    bucket: "test-bucket",
    endpoint: "http://127.0.0.1:1",
    access_key_id: "S3RVER",
    secret_access_key: SECRET,
  }));
  await assert.rejects(
    connector.write((async function* () {})(), {
      table: "orders.ndjson",
      mode: "merge",
    }),
    (error) => {
      assert.ok(error instanceof ConnectorError);
      assert.match(error.message, /S3 cannot merge; use append or replace/);
      return true;
    },
  );
  await connector.close();
});
