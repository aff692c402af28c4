import assert from "node:assert/strict";
import { App } from "./app.ts";
import { HttpError } from "./http_error.ts";
import { captureErrors } from "./test_util.ts";

const get = (app: App<{ trail: string[] }>, path: string, init?: RequestInit) =>
  app.handler()(new Request("http://localhost" + path, init));

Deno.test("App runs use() middlewares in order around the route, sharing state", async () => {
  const app = new App<{ trail: string[] }>()
    .use(async (ctx) => {
      ctx.state.trail = ["outer"];
      const response = await ctx.next();
      response.headers.set("x-trail", ctx.state.trail.join(","));
      return response;
    })
    .use((ctx) => {
      ctx.state.trail.push("inner");
      return ctx.next();
    })
    .get("/runs/:id", (ctx) => ctx.text(`run ${ctx.params.id}`));
  const response = await get(app, "/runs/42");
  assert.equal(await response.text(), "run 42");
  assert.equal(response.headers.get("x-trail"), "outer,inner");
});

Deno.test("App use(prefix) runs only for paths under the prefix", async () => {
  const app = new App<{ trail: string[] }>()
    .use("/admin", () => new Response("blocked", { status: 401 }))
    .get("/admin/users", (ctx) => ctx.text("users"))
    .get("/administrator", (ctx) => ctx.text("other"));
  assert.equal((await get(app, "/admin/users")).status, 401);
  assert.equal((await get(app, "/administrator")).status, 200);
});

Deno.test("App answers 405 with Allow when only other methods match", async () => {
  const app = new App<{ trail: string[] }>()
    .get("/items", (ctx) => ctx.json([]))
    .post("/items", (ctx) => ctx.json({}, { status: 201 }));
  const response = await get(app, "/items", { method: "DELETE" });
  assert.equal(response.status, 405);
  assert.equal(response.headers.get("allow"), "GET, HEAD, POST");
  assert.equal((await get(app, "/items", { method: "POST" })).status, 201);
  assert.equal((await get(app, "/nothing")).status, 404);
});

Deno.test("App turns HttpError into text, and unexpected errors into a 500 without the message", async () => {
  const app = new App<{ trail: string[] }>()
    .get("/conflict", () => {
      throw new HttpError(409, "Run already started");
    })
    .get("/boom", () => {
      throw new Error("password=hunter2");
    });
  const conflict = await get(app, "/conflict");
  assert.equal(conflict.status, 409);
  assert.equal(await conflict.text(), "Run already started");
  let body = "";
  const logged = await captureErrors(async () => {
    const boom = await get(app, "/boom");
    assert.equal(boom.status, 500);
    body = await boom.text();
  });
  assert.doesNotMatch(body, /hunter2/);
  assert.equal(body, "Internal Server Error");
  assert.match(logged, /GET \/boom.*hunter2/s);
});

Deno.test("App errors under /api/ are problem+json", async () => {
  const app = new App<{ trail: string[] }>().get("/api/runs/:id", () => {
    throw new HttpError(404, 'Run "7" not found');
  });
  const response = await get(app, "/api/runs/7");
  assert.equal(response.status, 404);
  assert.equal(
    response.headers.get("content-type"),
    "application/problem+json",
  );
  assert.deepEqual(await response.json(), {
    type: "about:blank",
    title: "Not Found",
    status: 404,
    detail: 'Run "7" not found',
  });
});

Deno.test("App onError renders errors; returning undefined falls back to the default", async () => {
  const app = new App<{ trail: string[] }>({
    onError: (ctx) =>
      ctx.url.pathname.startsWith("/custom")
        ? ctx.json({ problem: (ctx.error as HttpError).status }, {
          status: 418,
        })
        : undefined,
  })
    .get("/custom", () => {
      throw new HttpError(400);
    })
    .get("/plain", () => {
      throw new HttpError(400, "Bad day");
    });
  const custom = await get(app, "/custom");
  assert.equal(custom.status, 418);
  assert.deepEqual(await custom.json(), { problem: 400 });
  assert.equal(await (await get(app, "/plain")).text(), "Bad day");
});

Deno.test("App error responses still pass through outer middlewares", async () => {
  const app = new App<{ trail: string[] }>()
    .use(async (ctx) => {
      const response = await ctx.next();
      response.headers.set("x-seen", "yes");
      return response;
    })
    .use(() => {
      throw new HttpError(403);
    });
  const response = await get(app, "/anything");
  assert.equal(response.status, 403);
  assert.equal(response.headers.get("x-seen"), "yes");
});

Deno.test("App reports a middleware that returns no Response", async () => {
  // deno-lint-ignore no-explicit-any
  const app = new App<{ trail: string[] }>().use(function forgetful(): any {});
  const logged = await captureErrors(async () => {
    assert.equal((await get(app, "/")).status, 500);
  });
  assert.match(logged, /Middleware "forgetful" returned undefined/);
});

Deno.test("App listen() serves the handler over HTTP", async () => {
  const controller = new AbortController();
  const app = new App().get("/ping", (ctx) => ctx.text("pong"));
  const server = app.listen({
    port: 0,
    hostname: "127.0.0.1",
    signal: controller.signal,
    onListen() {},
  });
  const { port } = server.addr as Deno.NetAddr;
  const response = await fetch(`http://127.0.0.1:${port}/ping`);
  assert.equal(await response.text(), "pong");
  controller.abort();
  await server.finished;
});
