import assert from "node:assert/strict";
import { h } from "preact";
import { App } from "./app.ts";

const run = (app: App, path: string) =>
  app.handler()(new Request("http://localhost" + path));

Deno.test("ctx.redirect() defaults to 303 and keeps redirects on-site", async () => {
  const app = new App()
    .get("/go", (ctx) => ctx.redirect("/runs"))
    .get("/evil", (ctx) => ctx.redirect("//evil.example/x", 302));
  const go = await run(app, "/go");
  assert.equal(go.status, 303);
  assert.equal(go.headers.get("location"), "/runs");
  const evil = await run(app, "/evil");
  assert.equal(evil.status, 302);
  assert.equal(evil.headers.get("location"), "/evil.example/x");
});

Deno.test("ctx.json() and ctx.render() build responses", async () => {
  const app = new App()
    .get("/data", (ctx) => ctx.json({ ok: true }, { status: 202 }))
    .get("/page", (ctx) => ctx.render(h("h1", null, "Runs"), { status: 201 }));
  const data = await run(app, "/data");
  assert.equal(data.status, 202);
  assert.deepEqual(await data.json(), { ok: true });
  const page = await run(app, "/page");
  assert.equal(page.status, 201);
  assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
  assert.match(
    await page.text(),
    /^<!DOCTYPE html><html>.*<body><h1>Runs<\/h1><\/body>/,
  );
});

Deno.test("ctx.next() refuses to run past the route", async () => {
  // Calling next() twice from one middleware reaches past the end of the chain.
  const app = new App().use(async (ctx) => {
    await ctx.next();
    return ctx.next();
  }).get("/", (ctx) => ctx.text("once"));
  const original = console.error;
  console.error = () => {};
  try {
    assert.equal((await run(app, "/")).status, 500);
  } finally {
    console.error = original;
  }
});
