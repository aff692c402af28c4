import assert from "node:assert/strict";
import { join } from "node:path";
import { App } from "./app.ts";
import { captureErrors, FIXTURE_ROOT } from "./test_util.ts";
import type { State } from "./testdata/basic/state.ts";

const app = await new App<State>().fsRoutes({ root: FIXTURE_ROOT });
const request = (path: string, init?: RequestInit) =>
  app.handler()(new Request("http://localhost" + path, init));
const html = async (path: string) => await (await request(path)).text();

Deno.test("fsRoutes() renders pages inside the root layout and _app", async () => {
  const response = await request("/");
  assert.equal(response.status, 200);
  assert.equal(
    await response.text(),
    '<!DOCTYPE html><html lang="en"><head><title>Fixture</title></head><body class="app"><div class="root-layout"><h1>Home</h1></div></body></html>',
  );
  assert.match(await html("/about"), /<h1>About<\/h1>/);
});

Deno.test("fsRoutes() tries static segments before [param], and [param] before [...rest]", async () => {
  assert.match(await html("/users/new"), /New user form/);
  assert.match(await html("/users/7"), /User 7 via/);
  assert.match(await html("/docs"), /Docs index/);
  assert.match(await html("/docs/guides/setup"), /Doc guides\/setup/);
});

Deno.test("fsRoutes() (group) folders add no segment but keep their layout", async () => {
  const body = await html("/pricing");
  assert.match(
    body,
    /<div class="root-layout"><div class="marketing-layout"><h1>Pricing/,
  );
  assert.equal((await request("/(marketing)/pricing")).status, 404);
});

Deno.test("fsRoutes() nests layouts and runs folder middlewares from the root down", async () => {
  const response = await request("/users/7");
  assert.equal(response.headers.get("x-trail"), "root,users");
  assert.match(
    await response.text(),
    /<div class="root-layout"><section class="users-layout"><h1>User 7 via root>users<\/h1>/,
  );
  // The users/ middleware does not run outside users/.
  assert.equal((await request("/about")).headers.get("x-trail"), "root");
});

Deno.test("fsRoutes() passes page() data and response init to the component", async () => {
  const response = await request("/users/abc%20d");
  assert.equal(response.headers.get("x-user"), "abc d");
  assert.match(await response.text(), /User abc d via/);
});

Deno.test("fsRoutes() answers 405 with Allow for an unhandled method", async () => {
  const put = await request("/users/7", { method: "PUT" });
  assert.equal(put.status, 405);
  assert.equal(put.headers.get("allow"), "GET, DELETE, HEAD");
  const del = await request("/users/7", { method: "DELETE" });
  assert.equal(del.status, 204);
  assert.equal(del.headers.get("x-deleted"), "7");
  // A component-only route handles GET alone.
  assert.equal(
    (await request("/about", { method: "POST" })).headers.get("allow"),
    "GET, HEAD",
  );
});

Deno.test("fsRoutes() renders HttpError 404 with _404 and others with _error", async () => {
  const missing = await request("/no/such/page");
  assert.equal(missing.status, 404);
  assert.match(
    await missing.text(),
    /<p class="not-found">No page at \/no\/such\/page<\/p>/,
  );
  const thrown404 = await request("/users/0");
  assert.equal(thrown404.status, 404);
  assert.match(await thrown404.text(), /class="not-found"/);
  const forbidden = await request("/forbidden");
  assert.equal(forbidden.status, 403);
  assert.match(
    await forbidden.text(),
    /<p class="error-page">Only admins may see this<\/p>/,
  );
});

Deno.test("fsRoutes() hides unexpected errors behind _error and logs them", async () => {
  let body = "";
  const logged = await captureErrors(async () => {
    const response = await request("/crash");
    assert.equal(response.status, 500);
    body = await response.text();
  });
  assert.match(body, /<p class="error-page">Something went wrong<\/p>/);
  assert.doesNotMatch(body, /hunter2/);
  assert.match(logged, /hunter2/);
});

Deno.test("fsRoutes() API routes: method handlers, and problem+json errors", async () => {
  assert.deepEqual(await (await request("/api/items")).json(), [{ id: 1 }]);
  const invalid = await request("/api/items", { method: "POST", body: "{}" });
  assert.equal(invalid.status, 422);
  assert.equal(invalid.headers.get("content-type"), "application/problem+json");
  assert.equal((await invalid.json()).detail, 'Field "name" is required');
  let problem: Record<string, unknown> = {};
  await captureErrors(async () => {
    problem = await (await request("/api/crash")).json();
  });
  assert.deepEqual(problem, {
    type: "about:blank",
    title: "Internal Server Error",
    status: 500,
    detail: "Internal Server Error",
  });
  assert.equal(
    (await request("/api/nope")).headers.get("content-type"),
    "application/problem+json",
  );
});

async function tempRoot(files: Record<string, string>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "web_fs_routes_" });
  for (const [path, text] of Object.entries(files)) {
    await Deno.mkdir(join(root, path, ".."), { recursive: true });
    await Deno.writeTextFile(join(root, path), text);
  }
  return root;
}

Deno.test("fsRoutes() skips tests and _files, and .ts routes are handler-only", async () => {
  const root = await tempRoot({
    "routes/ping.ts": 'export const handler = () => new Response("pong");',
    "routes/ping_test.ts":
      'throw new Error("tests must not be loaded as routes");',
    "routes/_util.ts": "export const x = 1;",
    "routes/_private/secret.ts":
      'export const handler = () => new Response("no");',
  });
  try {
    const app = await new App().fsRoutes({ root });
    const handle = (path: string) =>
      app.handler()(new Request("http://localhost" + path));
    assert.equal(await (await handle("/ping")).text(), "pong");
    assert.equal((await handle("/ping_test")).status, 404);
    assert.equal((await handle("/_util")).status, 404);
    assert.equal((await handle("/_private/secret")).status, 404);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("fsRoutes() fails loudly on configuration mistakes", async () => {
  await assert.rejects(
    new App().fsRoutes({ root: "/nonexistent/web" }),
    /Cannot load routes from "\/nonexistent\/web\/routes": folder not found; pass fsRoutes\(\{ root \}\)/,
  );
  const cases: [Record<string, string>, RegExp][] = [
    [
      { "routes/a.ts": "export const x = 1;" },
      /Cannot load route "routes\/a.ts": export a handler/,
    ],
    [
      { "routes/v[id].ts": "export const handler = () => new Response();" },
      /segment "v\[id\]"/,
    ],
    [{
      "routes/about.ts": "export const handler = () => new Response();",
      "routes/(g)/about.ts": "export const handler = () => new Response();",
    }, /same path as/],
  ];
  for (const [files, error] of cases) {
    const root = await tempRoot(files);
    try {
      await assert.rejects(new App().fsRoutes({ root }), error);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  }
});
