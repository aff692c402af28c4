import assert from "node:assert/strict";
import { DataError } from "../errors.ts";
import { nextLink, valueAt } from "./pages.ts";
import type { RestConnector } from "./rest_connector.ts";
import {
  collect,
  restConnector,
  type TestServer,
  testServer,
} from "./test_server.ts";

// Seven records: pages of two leave a short last page.
const RECORDS = Array.from({ length: 7 }, (_, i) => ({ id: i + 1 }));
const IDS = RECORDS.map((record) => record.id);

/** The ids read, and how many requests the server had seen at the first batch. */
async function readIds(
  rest: RestConnector,
  server: TestServer,
): Promise<{ ids: number[]; requestsAtFirstBatch: number }> {
  const ids: number[] = [];
  let requestsAtFirstBatch = -1;
  for await (const batch of rest.read({ batchSize: 2 })) {
    if (requestsAtFirstBatch < 0) requestsAtFirstBatch = server.requests.length;
    ids.push(...batch.rows.map((row) => row[0] as number));
  }
  return { ids, requestsAtFirstBatch };
}

function param(url: URL, name: string): number {
  return Number(url.searchParams.get(name));
}

Deno.test("read() with page pagination stops at an empty page and streams", async () => {
  await using server = testServer(({ url }) => {
    const start = (param(url, "p") - 1) * 3;
    return Response.json(RECORDS.slice(start, start + 3));
  });
  const rest = restConnector({
    url: `${server.origin}/items?status=open`,
    pagination: "page",
    page_param: "p",
  });
  const { ids, requestsAtFirstBatch } = await readIds(rest, server);
  assert.deepEqual(ids, IDS);
  assert.equal(requestsAtFirstBatch, 1);
  assert.deepEqual(server.requests.map((r) => r.url.search), [
    "?status=open&p=1",
    "?status=open&p=2",
    "?status=open&p=3",
    "?status=open&p=4",
  ]);
});

Deno.test("read() with page pagination stops at a page shorter than page_size", async () => {
  await using server = testServer(({ url }) => {
    const size = param(url, "per_page");
    const start = param(url, "page") * size;
    return Response.json(RECORDS.slice(start, start + size));
  });
  const rest = restConnector({
    url: server.origin,
    pagination: "page",
    page_start: 0,
    page_size: 2,
    page_size_param: "per_page",
  });
  const { ids, requestsAtFirstBatch } = await readIds(rest, server);
  assert.deepEqual(ids, IDS);
  assert.equal(requestsAtFirstBatch, 1);
  assert.deepEqual(server.requests.map((r) => param(r.url, "page")), [
    0,
    1,
    2,
    3,
  ]);
});

Deno.test("read() with offset pagination advances by the records received", async () => {
  await using server = testServer(({ url }) => {
    const offset = param(url, "skip");
    return Response.json({
      data: RECORDS.slice(offset, offset + param(url, "take")),
    });
  });
  const rest = restConnector({
    url: server.origin,
    pagination: "offset",
    offset_param: "skip",
    limit_param: "take",
    limit: 2,
    records_path: "data",
  });
  const { ids, requestsAtFirstBatch } = await readIds(rest, server);
  assert.deepEqual(ids, IDS);
  assert.equal(requestsAtFirstBatch, 1);
  assert.deepEqual(server.requests.map((r) => r.url.search), [
    "?skip=0&take=2",
    "?skip=2&take=2",
    "?skip=4&take=2",
    "?skip=6&take=2",
  ]);
});

Deno.test("read() with cursor pagination passes the next token back until there is none", async () => {
  await using server = testServer(({ url }) => {
    const start = Number(
      (url.searchParams.get("after_token") ?? "t0").slice(1),
    );
    const next = start + 2 < RECORDS.length ? `t${start + 2}` : null;
    return Response.json({
      items: RECORDS.slice(start, start + 2),
      meta: { next },
    });
  });
  const rest = restConnector({
    url: server.origin,
    pagination: "cursor",
    next_token_path: "meta.next",
    next_token_param: "after_token",
    records_path: "$.items",
  });
  const { ids, requestsAtFirstBatch } = await readIds(rest, server);
  assert.deepEqual(ids, IDS);
  assert.equal(requestsAtFirstBatch, 1);
  assert.deepEqual(
    server.requests.map((r) => r.url.searchParams.get("after_token")),
    [null, "t2", "t4", "t6"],
  );
});

Deno.test("read() with cursor pagination refuses a token that repeats", async () => {
  await using server = testServer(() =>
    Response.json({ items: [{ id: 1 }], next: "same" })
  );
  const rest = restConnector({
    url: server.origin,
    pagination: "cursor",
    next_token_path: "next",
    records_path: "items",
  });
  await assert.rejects(collect(rest.read()), (error) => {
    assert.ok(error instanceof DataError);
    assert.match(error.message, /\(page 2\): the next token repeats$/);
    return true;
  });
  assert.equal(server.requests.length, 2);
});

Deno.test("read() with link pagination follows rel=next until the last page", async () => {
  await using server = testServer(({ url }) => {
    const page = param(url, "page") || 1;
    const links = [`<${server.origin}/items?page=1>; rel="first"`];
    // Relative and absolute links, and a multi-valued rel, all in one walk.
    if (page === 1) links.push(`</items?page=2&key=x>; rel=next`);
    if (page === 2) links.push(`<${server.origin}/items?page=3>; rel="next"`);
    if (page === 3) links.push(`<?page=4>; rel="next last"`);
    return Response.json(RECORDS.slice((page - 1) * 2, page * 2), {
      headers: { link: links.join(", ") },
    });
  });
  const rest = restConnector({
    url: `${server.origin}/items`,
    pagination: "link",
  });
  const { ids, requestsAtFirstBatch } = await readIds(rest, server);
  assert.deepEqual(ids, IDS);
  assert.equal(requestsAtFirstBatch, 1);
  assert.deepEqual(server.requests.map((r) => r.url.pathname + r.url.search), [
    "/items",
    "/items?page=2&key=x",
    "/items?page=3",
    "/items?page=4",
  ]);
});

Deno.test("read() with link pagination refuses a next link to another origin", async () => {
  await using server = testServer(() =>
    Response.json([{ id: 1 }], {
      headers: { link: '<https://elsewhere.example/items?page=2>; rel="next"' },
    })
  );
  const rest = restConnector({
    url: server.origin,
    pagination: "link",
    auth_type: "bearer",
    token: "tok-secret-123",
  });
  await assert.rejects(collect(rest.read()), (error) => {
    assert.ok(error instanceof DataError);
    assert.match(
      error.message,
      /another origin "https:\/\/elsewhere\.example"$/,
    );
    return true;
  });
  assert.equal(server.requests.length, 1);
});

Deno.test("read() finds records at records_path and explains a wrong one", async () => {
  await using server = testServer(() =>
    Response.json({ data: { items: [{ id: 1 }, { id: 2 }] } })
  );
  for (const path of ["data.items", "$.data.items"]) {
    const rest = restConnector({ url: server.origin, records_path: path });
    const [batch] = await collect(rest.read());
    assert.deepEqual(batch.rows, [[1, null], [2, null]], path);
  }
  for (
    const [path, hint] of [["", /set records_path/], [
      "data.nope",
      /records_path "data\.nope" is not an array/,
    ]] as const
  ) {
    const rest = restConnector({ url: server.origin, records_path: path });
    await assert.rejects(collect(rest.read()), (error) => {
      assert.ok(error instanceof DataError);
      assert.match(error.message, hint);
      return true;
    });
  }
});

Deno.test("valueAt() walks dotted paths and treats $ and empty as the root", () => {
  const json = { a: { b: [{ c: 1 }] }, n: null };
  assert.equal(valueAt(json, ""), json);
  assert.equal(valueAt(json, "$"), json);
  assert.equal(valueAt(json, "a.b.0.c"), 1);
  assert.equal(valueAt(json, "$.a.b.0.c"), 1);
  assert.equal(valueAt(json, "n.x"), undefined);
  assert.equal(valueAt(json, "a.toString"), undefined);
});

Deno.test("nextLink() picks the rel=next link of an RFC 8288 header", () => {
  const base = new URL("https://api.example.com/v1/items?page=1");
  assert.equal(
    nextLink(
      '<https://x.example/a>; rel="prev", </v1/items?page=2>; rel="next"',
      base,
    )?.href,
    "https://api.example.com/v1/items?page=2",
  );
  assert.equal(
    nextLink('<?page=3>; title="n"; REL="Next"', base)?.href,
    "https://api.example.com/v1/items?page=3",
  );
  assert.equal(nextLink('<https://x.example/a>; rel="last"', base), undefined);
  assert.equal(
    nextLink('<https://x.example/a>; rel="nextish"', base),
    undefined,
  );
  assert.equal(nextLink(null, base), undefined);
});
