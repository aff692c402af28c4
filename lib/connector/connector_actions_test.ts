import assert from "node:assert/strict";
import postgres from "postgres";
import { createScratchDatabase, testDb } from "../db/test_db.ts";
import { SecretBox, toBase64 } from "../secrets/secret_box.ts";
import { HttpError } from "../web/mod.ts";
import { ProblemError } from "../api/problem.ts";
import {
  ConnectorConfigError,
  ConnectorNotFoundError,
  createConnector,
} from "./connector_store.ts";
import {
  BuiltinConnectorError,
  ConnectorActionError,
  connectorHttpError,
  describeConnectorKind,
  previewConnector,
  previewRequestSchema,
  testConnector,
} from "./connector_actions.ts";

async function setup() {
  const t = await testDb();
  const box = await SecretBox.fromKey(
    toBase64(crypto.getRandomValues(new Uint8Array(32))),
  );
  return { t, deps: { db: t.db, box, fileRoots: [] } };
}

Deno.test("describeConnectorKind() turns the zod schema into JSON Schema with secrets flagged", () => {
  const pg = describeConnectorKind("postgres")!;
  assert.equal(pg.schema.properties!.password.secret, true);
  assert.equal(pg.schema.properties!.host.secret, undefined);
  assert.equal(pg.schema.properties!.port.type, "integer");
  assert.deepEqual(pg.schema.properties!.ssl.enum, [
    "disable",
    "require",
    "verify-full",
  ]);
  assert.equal(pg.creatable, true);
  assert.equal(describeConnectorKind("warehouse")!.creatable, false);
  assert.equal(describeConnectorKind("nope"), undefined);
});

Deno.test("testConnector() gives up after the time bound on a server that never answers", async () => {
  const { t, deps } = await setup();
  await using _ = t;
  // Accepts TCP connections and says nothing, like a firewalled proxy.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  try {
    const view = await createConnector(t.db, deps.box, {
      name: "silent",
      kind: "postgres",
      config: {
        port: (listener.addr as Deno.NetAddr).port,
        database: "d",
        user: "u",
      },
    });
    const started = Date.now();
    const result = await testConnector(deps, view.id, { timeoutMs: 300 });
    assert.deepEqual(result, {
      ok: false,
      error: { kind: "timeout", message: "Timed out after 0.3 s" },
    });
    assert.ok(Date.now() - started < 5_000);
  } finally {
    listener.close();
    for (const conn of held) conn.close();
  }
});

Deno.test("testConnector() redacts the connector's secrets from the failure message", async () => {
  const { t, deps } = await setup();
  await using _ = t;
  // The message names the user; here the user is also the password.
  const secret = "same-as-password-4417";
  const view = await createConnector(t.db, deps.box, {
    name: "leaky",
    kind: "postgres",
    config: { port: 1, database: "d", user: secret, password: secret },
  });
  const result = await testConnector(deps, view.id);
  assert.equal(result.ok, false);
  assert.ok(!result.ok && result.error.kind === "connection");
  assert.ok(!JSON.stringify(result).includes(secret), JSON.stringify(result));
  assert.match(JSON.stringify(result), /\*\*\*/);
});

Deno.test("previewConnector() returns at most the limit and releases its connection", async () => {
  const scratch = await createScratchDatabase("etl_preview");
  const { t, deps } = await setup();
  try {
    const sql = postgres(scratch.url, { max: 1, onnotice: () => {} });
    await sql`create table big as select g as id from generate_series(1, 5000) g`;
    const url = new URL(scratch.url);
    const database = url.pathname.slice(1);
    const view = await createConnector(t.db, deps.box, {
      name: "big",
      kind: "postgres",
      config: { port: Number(url.port), database, user: "postgres" },
    });
    const preview = await previewConnector(
      deps,
      view.id,
      previewRequestSchema.parse({ table: "big", limit: 7 }),
    );
    assert.deepEqual(preview.columns, [{ name: "id", type: "bigint" }]);
    assert.deepEqual(preview.rows, [[1], [2], [3], [4], [5], [6], [7]]);
    const [{ n }] = await sql`
      select count(*)::int as n from pg_stat_activity
       where datname = ${database} and application_name = 'etl-connector'`;
    await sql.end();
    assert.equal(n, 0);
  } finally {
    await t[Symbol.asyncDispose]();
    await scratch.drop();
  }
});

Deno.test("previewRequestSchema wants exactly one of table, query or path and caps the limit", () => {
  assert.equal(previewRequestSchema.parse({ table: "t" }).limit, 20);
  assert.equal(previewRequestSchema.safeParse({}).success, false);
  assert.equal(
    previewRequestSchema.safeParse({ table: "t", query: "select 1" }).success,
    false,
  );
  const tooMany = previewRequestSchema.safeParse({ table: "t", limit: 500 });
  assert.equal(tooMany.error?.issues[0].path[0], "limit");
});

Deno.test("connectorHttpError() maps store and action errors to 404, 409, 422 and 502", () => {
  const notFound = connectorHttpError(new ConnectorNotFoundError(5));
  assert.ok(notFound instanceof HttpError && notFound.status === 404);
  const builtin = connectorHttpError(
    new BuiltinConnectorError("files", "delete"),
  );
  assert.ok(builtin instanceof HttpError && builtin.status === 409);
  const invalid = connectorHttpError(
    new ConnectorConfigError("bad", [{
      path: ["config", "port"],
      message: "m",
    }]),
  );
  assert.ok(invalid instanceof ProblemError && invalid.status === 422);
  assert.deepEqual(invalid.errors, [{ field: "config.port", message: "m" }]);
  const down = connectorHttpError(
    new ConnectorActionError({ kind: "connection", message: "refused" }),
  );
  assert.ok(down instanceof HttpError && down.status === 502);
  const other = new Error("x");
  assert.equal(connectorHttpError(other), other);
});
