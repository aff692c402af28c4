import assert from "node:assert/strict";
import { App } from "./app.ts";
import { HttpError } from "./http_error.ts";
import { securityHeaders } from "./security_headers.ts";

Deno.test("securityHeaders() sets a strict CSP and the other headers, on errors too", async () => {
  const app = new App()
    .use(securityHeaders())
    .get("/", (ctx) => ctx.text("ok"))
    .get("/fail", () => {
      throw new HttpError(400);
    })
    .get("/redirect", () => Response.redirect("http://localhost/", 302));
  for (const path of ["/", "/fail", "/redirect"]) {
    const response = await app.handler()(
      new Request("http://localhost" + path),
    );
    await response.body?.cancel();
    assert.equal(
      response.headers.get("content-security-policy"),
      "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'",
      path,
    );
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.equal(
      response.headers.get("referrer-policy"),
      "strict-origin-when-cross-origin",
    );
    assert.equal(response.headers.get("x-frame-options"), "DENY");
  }
});

Deno.test("securityHeaders() merges CSP directives and keeps headers a route set", async () => {
  const app = new App()
    .use(
      securityHeaders({ contentSecurityPolicy: { "img-src": "'self' data:" } }),
    )
    .get(
      "/",
      () => new Response("x", { headers: { "x-frame-options": "SAMEORIGIN" } }),
    );
  const response = await app.handler()(new Request("http://localhost/"));
  assert.match(
    response.headers.get("content-security-policy")!,
    /; img-src 'self' data:$/,
  );
  assert.equal(response.headers.get("x-frame-options"), "SAMEORIGIN");
  const noCsp = new App().use(securityHeaders({ contentSecurityPolicy: false }))
    .get("/", (ctx) => ctx.text("x"));
  const plain = await noCsp.handler()(new Request("http://localhost/"));
  assert.equal(plain.headers.get("content-security-policy"), null);
  assert.equal(plain.headers.get("x-content-type-options"), "nosniff");
});
