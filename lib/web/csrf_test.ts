import assert from "node:assert/strict";
import { App } from "./app.ts";
import { csrf } from "./csrf.ts";

const app = new App()
  .use(csrf({ allowedOrigins: ["https://admin.example.com"] }))
  .post("/runs", (ctx) => ctx.text("created", { status: 201 }))
  .get("/runs", (ctx) => ctx.text("list"));

async function status(
  method: string,
  headers: Record<string, string>,
): Promise<number> {
  const response = await app.handler()(
    new Request("http://localhost/runs", { method, headers }),
  );
  await response.body?.cancel();
  return response.status;
}

Deno.test("csrf() allow/deny matrix for unsafe requests", async () => {
  const cases: [Record<string, string>, number][] = [
    [{}, 201], // no browser headers: API client
    [{ "sec-fetch-site": "same-origin" }, 201],
    [{ "sec-fetch-site": "none" }, 201],
    [{ "sec-fetch-site": "cross-site" }, 403],
    [{ "sec-fetch-site": "same-site" }, 403],
    [{ "sec-fetch-site": "cross-site", origin: "https://evil.example" }, 403],
    [
      { "sec-fetch-site": "cross-site", origin: "https://admin.example.com" },
      201,
    ],
    [{ origin: "http://localhost" }, 201], // older browser, same origin
    [{ origin: "https://evil.example" }, 403],
    [{ origin: "null" }, 403], // sandboxed iframe or file:
    [{ origin: "https://admin.example.com" }, 201],
  ];
  for (const [headers, expected] of cases) {
    assert.equal(
      await status("POST", headers),
      expected,
      JSON.stringify(headers),
    );
  }
});

Deno.test("csrf() lets safe methods through even cross-site", async () => {
  assert.equal(await status("GET", { "sec-fetch-site": "cross-site" }), 200);
});
