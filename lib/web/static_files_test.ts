import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { App } from "./app.ts";
import { staticFiles } from "./static_files.ts";

const root = fileURLToPath(new URL("./testdata/static", import.meta.url));
const app = new App().use(staticFiles({ root })).get(
  "/page",
  (ctx) => ctx.text("route"),
);
const get = (path: string, init?: RequestInit) =>
  app.handler()(new Request("http://localhost" + path, init));

Deno.test("staticFiles() serves files with type, strong ETag and Cache-Control", async () => {
  const response = await get("/css/site.css");
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "text/css; charset=utf-8");
  assert.match(response.headers.get("etag")!, /^"[0-9a-f]{32}"$/);
  assert.equal(
    response.headers.get("cache-control"),
    "public, max-age=0, must-revalidate",
  );
  assert.equal(
    await response.text(),
    await Deno.readTextFile(`${root}/css/site.css`),
  );
});

Deno.test("staticFiles() answers If-None-Match with 304, and a changed tag with 200", async () => {
  const etag = (await get("/robots.txt")).headers.get("etag")!;
  await (await get("/robots.txt")).body?.cancel();
  const notModified = await get("/robots.txt", {
    headers: { "if-none-match": `"x", W/${etag}` },
  });
  assert.equal(notModified.status, 304);
  assert.equal(notModified.headers.get("etag"), etag);
  assert.equal(await notModified.text(), "");
  const stale = await get("/robots.txt", {
    headers: { "if-none-match": '"old"' },
  });
  assert.equal(stale.status, 200);
  await stale.body?.cancel();
});

Deno.test("staticFiles() passes misses, folders, traversal and POST on to the app", async () => {
  assert.equal(await (await get("/page")).text(), "route");
  assert.equal((await get("/missing.txt")).status, 404);
  assert.equal((await get("/css")).status, 404);
  assert.equal((await get("/..%2fstatic_files_test.ts")).status, 404);
  assert.equal((await get("/robots.txt", { method: "POST" })).status, 404);
});
