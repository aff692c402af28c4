// The connector API end to end on a real PostgreSQL: CRUD with write-only
// passwords, field-path validation, Test connection, schema and preview,
// 404 for unknown ids and 409 for the built-in connectors.

import assert from "node:assert/strict";
import postgres from "postgres";
import { type Platform, startPlatform } from "./harness.ts";
import { createScratchDatabase } from "../lib/db/test_db.ts";
import { loadConnectorSecrets } from "../lib/connector/connector_store.ts";

const PASSWORD = "Api-s3cret-9931";

function send(p: Platform, method: string, path: string, body?: unknown) {
  return p.fetch(path, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function createPg(
  p: Platform,
  url: string,
  extra: Record<string, unknown> = {},
) {
  const u = new URL(url);
  const response = await send(p, "POST", "/api/v1/connectors", {
    name: "shop_pg",
    kind: "postgres",
    config: {
      host: u.hostname,
      port: Number(u.port),
      database: u.pathname.slice(1),
      user: "postgres",
      password: PASSWORD,
      ...extra,
    },
  });
  const text = await response.text();
  assert.equal(response.status, 201, text);
  assert.ok(!text.includes(PASSWORD));
  return JSON.parse(text) as { id: number; config: Record<string, unknown> };
}

async function withScratch(fn: (url: string) => Promise<void>) {
  const scratch = await createScratchDatabase("etl_conn_api");
  try {
    await fn(scratch.url);
  } finally {
    await scratch.drop();
  }
}

Deno.test("connector CRUD keeps the password write-only and an update without it keeps it", async () => {
  await withScratch(async (url) => {
    await using p = await startPlatform();
    const created = await createPg(p, url);
    assert.deepEqual(created.config.password, { set: true });

    for (
      const path of ["/api/v1/connectors", `/api/v1/connectors/${created.id}`]
    ) {
      const text = await (await p.fetch(path)).text();
      assert.ok(text.includes("shop_pg") && !text.includes(PASSWORD), path);
    }

    // A PUT that never saw the password (what GET returned, renamed).
    const view = await (await p.fetch(`/api/v1/connectors/${created.id}`))
      .json();
    const updated = await send(p, "PUT", `/api/v1/connectors/${created.id}`, {
      ...view,
      name: "shop_pg2",
    });
    const updatedText = await updated.text();
    assert.equal(updated.status, 200, updatedText);
    assert.ok(!updatedText.includes(PASSWORD));
    assert.equal(JSON.parse(updatedText).name, "shop_pg2");
    assert.deepEqual(
      await loadConnectorSecrets(p.services.db, p.services.box, created.id),
      { password: PASSWORD },
    );
    const test = await send(p, "POST", `/api/v1/connectors/${created.id}/test`);
    assert.equal((await test.json()).ok, true);

    const deleted = await send(p, "DELETE", `/api/v1/connectors/${created.id}`);
    assert.equal(deleted.status, 204);
    assert.equal(
      (await p.fetch(`/api/v1/connectors/${created.id}`)).status,
      404,
    );
  });
});

Deno.test("invalid connector settings answer 422 with each field's path", async () => {
  await using p = await startPlatform();
  const response = await send(p, "POST", "/api/v1/connectors", {
    name: "Bad Name",
    kind: "postgres",
    config: { port: "abc", user: "u" },
  });
  assert.equal(response.status, 422);
  assert.match(response.headers.get("content-type")!, /problem\+json/);
  const problem = await response.json();
  assert.equal(problem.field, "name");

  const config = await send(p, "POST", "/api/v1/connectors", {
    name: "ok_name",
    kind: "postgres",
    config: { port: "abc", user: "u", password: PASSWORD },
  });
  const body = await config.json();
  assert.equal(config.status, 422);
  const fields = body.errors.map((e: { field: string }) => e.field).sort();
  assert.deepEqual(fields, ["config.database", "config.port"]);
  assert.ok(!JSON.stringify(body).includes(PASSWORD));
});

Deno.test("Test connection says OK with the server version, or why not without the secret", async () => {
  await withScratch(async (url) => {
    await using p = await startPlatform();
    const good = await createPg(p, url);
    const ok = await send(p, "POST", `/api/v1/connectors/${good.id}/test`);
    const okBody = await ok.json();
    assert.equal(ok.status, 200);
    assert.equal(okBody.ok, true);
    assert.match(okBody.version, /PostgreSQL/);

    // Moving the connector needs the password entered again.
    const bad = await send(p, "PUT", `/api/v1/connectors/${good.id}`, {
      config: { ...good.config, port: 1, password: PASSWORD },
    });
    assert.equal(bad.status, 200, await bad.clone().text());
    const failed = await send(p, "POST", `/api/v1/connectors/${good.id}/test`);
    const text = await failed.text();
    assert.equal(failed.status, 200);
    const body = JSON.parse(text);
    assert.equal(body.ok, false);
    assert.equal(body.error.kind, "connection");
    assert.match(body.error.message, /127\.0\.0\.1:1/);
    assert.ok(!text.includes(PASSWORD) && !text.includes("    at "), text);
  });
});

Deno.test("schema lists a real table's columns and preview returns its first rows", async () => {
  await withScratch(async (url) => {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    await sql`create table orders (id bigint primary key, item text, total numeric)`;
    await sql`insert into orders select i, 'item ' || i, i * 1.5 from generate_series(1, 300) i`;
    await sql.end();
    await using p = await startPlatform();
    const { id } = await createPg(p, url);

    const schema = await (await p.fetch(`/api/v1/connectors/${id}/schema`))
      .json();
    const orders = schema.tables.find((t: { name: string }) =>
      t.name === "orders"
    );
    assert.deepEqual(orders.columns, [
      { name: "id", type: "bigint" },
      { name: "item", type: "text" },
      { name: "total", type: "numeric" },
    ]);

    const preview = await send(p, "POST", `/api/v1/connectors/${id}/preview`, {
      table: "orders",
      limit: 3,
    });
    const body = await preview.json();
    assert.equal(preview.status, 200);
    assert.deepEqual(body.columns.map((c: { name: string }) => c.name), [
      "id",
      "item",
      "total",
    ]);
    assert.deepEqual(body.rows.map((r: unknown[]) => r[1]), [
      "item 1",
      "item 2",
      "item 3",
    ]);

    const byDefault = await send(
      p,
      "POST",
      `/api/v1/connectors/${id}/preview`,
      {
        query: "select id from orders order by id desc",
      },
    );
    const rows = (await byDefault.json()).rows;
    assert.equal(rows.length, 20);
    assert.deepEqual(rows[0], [300]);

    const tooMany = await send(p, "POST", `/api/v1/connectors/${id}/preview`, {
      table: "orders",
      limit: 201,
    });
    assert.equal(tooMany.status, 422);
    assert.equal((await tooMany.json()).field, "limit");

    const missing = await send(p, "POST", `/api/v1/connectors/${id}/preview`, {
      table: "no_such_table",
    });
    assert.equal(missing.status, 422);
    assert.match((await missing.json()).detail, /no_such_table/);
  });
});

Deno.test("unknown connector ids answer 404 on every connector endpoint", async () => {
  await using p = await startPlatform();
  const calls: [string, string, unknown?][] = [
    ["GET", "/api/v1/connectors/9999"],
    ["PUT", "/api/v1/connectors/9999", { config: {} }],
    ["DELETE", "/api/v1/connectors/9999"],
    ["POST", "/api/v1/connectors/9999/test"],
    ["GET", "/api/v1/connectors/9999/schema"],
    ["POST", "/api/v1/connectors/9999/preview", { table: "t" }],
    ["GET", "/api/v1/connectors/abc"],
  ];
  for (const [method, path, body] of calls) {
    const response = await send(p, method, path, body);
    assert.equal(response.status, 404, `${method} ${path}`);
    assert.match(response.headers.get("content-type")!, /problem\+json/);
  }
});

Deno.test("built-in connectors cannot be edited or deleted: 409 with the reason", async () => {
  await using p = await startPlatform();
  const list = await (await p.fetch("/api/v1/connectors")).json();
  const builtins = list.filter((c: { builtin: boolean }) => c.builtin);
  assert.deepEqual(builtins.map((c: { name: string }) => c.name).sort(), [
    "files",
    "warehouse",
  ]);
  for (const connector of builtins) {
    const path = `/api/v1/connectors/${connector.id}`;
    const put = await send(p, "PUT", path, { config: {} });
    assert.equal(put.status, 409);
    assert.match((await put.json()).detail, /built in/);
    const del = await send(p, "DELETE", path);
    assert.equal(del.status, 409);
    assert.match((await del.json()).detail, /built in/);
  }
  assert.equal((await (await p.fetch("/api/v1/connectors")).json()).length, 2);
});

Deno.test("GET /api/v1/connector-kinds gives each kind's JSON Schema with secret fields flagged", async () => {
  await using p = await startPlatform();
  const kinds = await (await p.fetch("/api/v1/connector-kinds")).json();
  const pg = kinds.find((k: { name: string }) => k.name === "postgres");
  assert.equal(pg.schema.properties.password.secret, true);
  assert.deepEqual(pg.secretFields, ["password"]);
  assert.equal(pg.schema.properties.port.default, 5432);
  assert.deepEqual(pg.schema.required.sort(), ["database", "user"]);
  const warehouse = kinds.find((k: { name: string }) => k.name === "warehouse");
  assert.equal(warehouse.creatable, false);
});
