import assert from "node:assert/strict";
import { App } from "./app.ts";
import { stopBundler } from "./bundler.ts";
import { captureErrors, FIXTURE_ROOT } from "./test_util.ts";

Deno.test("island pages link a content-hashed esbuild bundle that contains the island", async () => {
  const app = await new App({ dev: false }).fsRoutes({ root: FIXTURE_ROOT });
  const get = (path: string) =>
    app.handler()(new Request("http://localhost" + path));
  try {
    const html = await (await get("/island_page")).text();
    assert.match(
      html,
      /<!--frsh:island:Counter:0--><button type="button" class="etl-counter-island">/,
    );
    const payload = JSON.parse(
      /id="__FRSH_ISLANDS">(.*?)<\/script>/.exec(html)![1],
    );
    assert.deepEqual(payload.instances[0].props, {
      start: 3,
      label: "</script><script>alert(1)</script>",
    });
    assert.deepEqual(payload.instances[0].signals, [["start"]]);

    const runtimeUrl = /<script type="module" src="([^"]+)">/.exec(html)![1];
    assert.match(runtimeUrl, /^\/_frsh\/js\/[0-9a-f]{16}\/runtime\.js$/);
    const runtime = await get(runtimeUrl);
    assert.equal(
      runtime.headers.get("content-type"),
      "text/javascript; charset=utf-8",
    );
    assert.equal(
      runtime.headers.get("cache-control"),
      "public, max-age=31536000, immutable",
    );
    assert.match(await runtime.text(), /__FRSH_ISLANDS/);

    const island = await get(payload.islandUrls.Counter);
    assert.equal(island.status, 200);
    const code = await island.text();
    assert.match(code, /etl-counter-island/);
    // Preact lives in a shared chunk, imported by both entries, not inlined twice.
    const chunk = /from"\.\/(chunk-[A-Z0-9]+\.js)"/.exec(code)?.[1];
    assert.ok(chunk, "island imports a shared chunk");
    const buildDir = runtimeUrl.replace("runtime.js", "");
    assert.equal((await get(buildDir + chunk)).status, 200);

    assert.equal(
      (await get("/_frsh/js/0000000000000000/runtime.js")).status,
      404,
    );
    assert.doesNotMatch(await (await get("/about")).text(), /<script/);
  } finally {
    await stopBundler();
  }
});

Deno.test("an island given a function prop fails the page with a clear log", async () => {
  const app = await new App().fsRoutes({ root: FIXTURE_ROOT });
  const logged = await captureErrors(async () => {
    const response = await app.handler()(
      new Request("http://localhost/bad_island"),
    );
    assert.equal(response.status, 500);
    assert.doesNotMatch(await response.text(), /<script/);
  });
  assert.match(
    logged,
    /Cannot serialize prop "onDone" of island "Counter": functions/,
  );
});
