import assert from "node:assert/strict";
import { Logger } from "../../lib/log/logger.ts";
import {
  AuthError,
  ConnectionError,
  ConnectorError,
  SchemaError,
} from "../errors.ts";
import {
  collect,
  restConnector,
  type SeenRequest,
  testServer,
} from "./test_server.ts";

const TOKEN = "tok_9f8e7d6c";
const PASSWORD = "p@ss w/rd+1";
const API_KEY = "key/with+special=chars";
const ORDERS = [{ id: 1, total: 9.5 }, { id: 2, total: 12 }];

/** A server answering ORDERS when `allowed(request)`, else 401 (echoing the credentials, as some APIs do). */
function guarded(allowed: (request: SeenRequest) => boolean) {
  return testServer((request) =>
    allowed(request) ? Response.json(ORDERS) : new Response(
      `bad credentials: ${request.headers.get("authorization")} ${request.url}`,
      { status: 401 },
    )
  );
}

/** Asserts `error` is an AuthError whose message holds none of `secrets`, in any encoding. */
function assertAuthErrorHides(error: unknown, secrets: string[]): true {
  assert.ok(error instanceof AuthError);
  assert.match(error.message, /HTTP 401/);
  for (const secret of secrets) {
    for (const form of [secret, encodeURIComponent(secret), btoa(secret)]) {
      assert.ok(
        !error.message.includes(form),
        `${form} leaked: ${error.message}`,
      );
    }
  }
  return true;
}

Deno.test("bearer auth sends the token and hides it when refused", async () => {
  await using server = guarded((r) =>
    r.headers.get("authorization") === `Bearer ${TOKEN}`
  );
  const good = restConnector({
    url: server.origin,
    auth_type: "bearer",
    token: TOKEN,
  });
  assert.equal((await collect(good.read()))[0].rows.length, 2);
  const bad = restConnector({
    url: server.origin,
    auth_type: "bearer",
    token: "tok_wrong_1",
  });
  await assert.rejects(
    collect(bad.read()),
    (e) => assertAuthErrorHides(e, ["tok_wrong_1"]),
  );
});

Deno.test("basic auth sends user and password in base64 and hides them when refused", async () => {
  const expected = `Basic ${btoa(`ann:${PASSWORD}`)}`;
  await using server = guarded((r) =>
    r.headers.get("authorization") === expected
  );
  const config = { url: server.origin, auth_type: "basic", username: "ann" };
  const good = restConnector({ ...config, password: PASSWORD });
  assert.equal((await collect(good.read()))[0].rows.length, 2);
  const bad = restConnector({ ...config, password: "wrong-pass" });
  await assert.rejects(
    collect(bad.read()),
    (e) => assertAuthErrorHides(e, ["wrong-pass", "ann:wrong-pass"]),
  );
});

Deno.test("API key auth sends the key in a header", async () => {
  await using server = guarded((r) => r.headers.get("x-token") === API_KEY);
  const config = {
    url: server.origin,
    auth_type: "api_key",
    api_key_name: "X-Token",
  };
  const good = restConnector({ ...config, api_key: API_KEY });
  assert.equal((await collect(good.read()))[0].rows.length, 2);
  const bad = restConnector({ ...config, api_key: "nope-key" });
  await assert.rejects(
    collect(bad.read()),
    (e) => assertAuthErrorHides(e, ["nope-key"]),
  );
});

Deno.test("API key auth sends the key in the query on every page and shows it as ***", async () => {
  await using server = testServer(({ url }) => {
    if (url.searchParams.get("apikey") !== API_KEY) {
      return new Response(`no: ${url}`, { status: 401 });
    }
    return Response.json(url.searchParams.get("page") === "3" ? [] : ORDERS);
  });
  const config = {
    url: `${server.origin}/orders`,
    auth_type: "api_key",
    api_key_in: "query",
    api_key_name: "apikey",
    pagination: "page",
  };
  const [batch] = await collect(
    restConnector({ ...config, api_key: API_KEY }).read(),
  );
  assert.equal(batch.rows.length, 4);
  assert.equal(server.requests.length, 3);
  const bad = restConnector({ ...config, api_key: "wrong/key+" });
  await assert.rejects(collect(bad.read()), (error) => {
    assertAuthErrorHides(error, ["wrong/key+"]);
    assert.match(
      (error as Error).message,
      /\/orders\?page=1&apikey=\*\*\*" \(page 1\)/,
    );
    return true;
  });
});

Deno.test("secrets stay out of network errors and retry logs", async () => {
  const stopped = testServer(() => Response.json([]));
  const origin = stopped.origin;
  await stopped[Symbol.asyncDispose]();
  const lines: string[] = [];
  const rest = restConnector({
    url: `${origin}/x`,
    auth_type: "api_key",
    api_key_in: "query",
    api_key_name: "key",
    api_key: API_KEY,
    retries: 1,
  }, { logger: new Logger({ sink: (line) => lines.push(line) }) });
  await assert.rejects(collect(rest.read()), (error) => {
    assert.ok(error instanceof ConnectionError);
    assert.ok(!error.message.includes(API_KEY));
    assert.ok(!error.message.includes(encodeURIComponent(API_KEY)));
    assert.ok(!error.message.includes("key%2Fwith"));
    return true;
  });
  assert.equal(lines.length, 1, "one retry logged");
  assert.match(lines[0], /key=\*\*\*/);
  assert.ok(!lines[0].includes("key%2Fwith") && !lines[0].includes(API_KEY));
});

Deno.test("read() POSTs the JSON body with the configured headers and query", async () => {
  await using server = testServer(() => Response.json(ORDERS));
  const rest = restConnector({
    url: `${server.origin}/search`,
    method: "POST",
    headers: { "X-Tenant": "acme" },
    query: { region: "eu" },
    body: { filter: { status: "open" } },
  });
  await collect(rest.read());
  const [seen] = server.requests;
  assert.equal(seen.method, "POST");
  assert.deepEqual(JSON.parse(seen.body), { filter: { status: "open" } });
  assert.equal(seen.headers.get("content-type"), "application/json");
  assert.equal(seen.headers.get("x-tenant"), "acme");
  assert.equal(seen.url.searchParams.get("region"), "eu");
});

Deno.test("check() makes one request and reports the HTTP status", async () => {
  await using server = testServer(() => Response.json(ORDERS));
  const rest = restConnector({ url: server.origin, pagination: "page" });
  assert.deepEqual(await rest.check(), { ok: true, version: "HTTP 200" });
  assert.equal(server.requests.length, 1);
});

Deno.test("check() reports refused credentials as an AuthError", async () => {
  await using server = guarded(() => false);
  const rest = restConnector({
    url: server.origin,
    auth_type: "bearer",
    token: TOKEN,
  });
  await assert.rejects(rest.check(), (e) => assertAuthErrorHides(e, [TOKEN]));
});

Deno.test("discover() names the table after the endpoint and infers its columns", async () => {
  await using server = testServer(() =>
    Response.json([{ id: 1, paid: true, at: "2024-01-01T00:00:00Z", tags: [] }])
  );
  const rest = restConnector({ url: `${server.origin}/v1/orders.json` });
  assert.deepEqual(await rest.discover(), [{
    name: "orders",
    columns: [
      { name: "id", type: "bigint" },
      { name: "paid", type: "boolean" },
      { name: "at", type: "text" },
      { name: "tags", type: "json" },
      { name: "_extra", type: "json" },
    ],
  }]);
});

Deno.test("read() keeps the first batch's columns and puts later keys in _extra", async () => {
  await using server = testServer(() =>
    Response.json([{ id: 1, a: "x" }, { id: 2 }, { id: 3, a: "y", b: true }])
  );
  const batches = await collect(
    restConnector({ url: server.origin }).read({ batchSize: 2 }),
  );
  assert.equal(batches.length, 2);
  assert.deepEqual(batches[1].columns, batches[0].columns);
  assert.deepEqual(batches[0].rows, [[1, "x", null], [2, null, null]]);
  assert.deepEqual(batches[1].rows, [[3, "y", { b: true }]]);
});

Deno.test("read() of an endpoint without records yields one empty batch", async () => {
  await using server = testServer(() => Response.json({ data: [] }));
  const rest = restConnector({ url: server.origin, records_path: "data" });
  assert.deepEqual(await collect(rest.read()), [{ columns: [], rows: [] }]);
});

Deno.test("read() with a cursor sends cursor_param and filters, across two reads", async () => {
  const rows = [
    { id: 1, updated_at: "2024-01-01T00:00:00Z" },
    { id: 2, updated_at: "2024-01-02T00:00:00Z" },
  ];
  // Like many APIs, the filter is coarse (by day): the connector must refine it.
  await using server = testServer(({ url }) => {
    const since = url.searchParams.get("updated_since")?.slice(0, 10) ?? "";
    return Response.json(
      rows.filter((r) => r.updated_at.slice(0, 10) >= since),
    );
  });
  const rest = restConnector({
    url: server.origin,
    cursor_param: "updated_since",
  });
  const cursor = { field: "updated_at", after: null };
  const [first] = await collect(rest.read({ cursor }));
  assert.deepEqual(first.rows.map((r) => r[0]), [1, 2]);
  assert.equal(server.requests[0].url.searchParams.has("updated_since"), false);

  const after = first.rows.map((r) => r[1] as string).sort().at(-1)!;
  rows.push({ id: 3, updated_at: "2024-01-02T08:00:00Z" });
  const [second] = await collect(
    rest.read({ cursor: { field: "updated_at", after } }),
  );
  assert.deepEqual(second.rows.map((r) => r[0]), [3]);
  assert.equal(server.requests[1].url.searchParams.get("updated_since"), after);
});

Deno.test("read() with a cursor field the records lack fails with a SchemaError", async () => {
  await using server = testServer(() => Response.json(ORDERS));
  const rest = restConnector({ url: server.origin });
  await assert.rejects(
    collect(rest.read({ cursor: { field: "updatedAt", after: 5 } })),
    (error) => {
      assert.ok(error instanceof SchemaError);
      assert.match(error.message, /no cursor field "updatedAt"$/);
      return true;
    },
  );
});

Deno.test("write() refuses: REST is a source only", async () => {
  const rest = restConnector({ url: "http://127.0.0.1:9/x" });
  const batches = (async function* () {})();
  await assert.rejects(
    rest.write(batches, { table: "t", mode: "append" }),
    (error) =>
      error instanceof ConnectorError &&
      error.message === "REST API connector cannot write: it is a source only",
  );
});
