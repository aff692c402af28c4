// Hydration needs a real DOM: this test drives Chromium (when installed)
// through playwright-core against a real server, the one place a port is used.
import assert from "node:assert/strict";
import { CHROMIUM_PATH, launchChromium } from "../../tests/chromium.ts";
import { App } from "./app.ts";
import { stopBundler } from "./bundler.ts";
import { securityHeaders } from "./security_headers.ts";
import { FIXTURE_ROOT } from "./test_util.ts";

const hasChromium = await Deno.stat(CHROMIUM_PATH).then(
  () => true,
  () => false,
);

Deno.test({
  name:
    "client runtime hydrates islands under the strict CSP and revives signals",
  ignore: !hasChromium,
  async fn() {
    const app = new App().use(securityHeaders());
    await app.fsRoutes({ root: FIXTURE_ROOT });
    const controller = new AbortController();
    const server = app.listen({
      port: 0,
      hostname: "127.0.0.1",
      signal: controller.signal,
      onListen() {},
    });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on("pageerror", (error) => problems.push(error.message));
      page.on("console", (message) => {
        // CSP violations and hydration failures are reported as console errors.
        if (message.type() === "error" && !/favicon|404/.test(message.text())) {
          problems.push(message.text());
        }
      });
      const { port } = server.addr as Deno.NetAddr;
      await page.goto(`http://127.0.0.1:${port}/island_page`);
      const button = page.locator("button.etl-counter-island");
      // Clicks only count once hydrated, so retry until the handler is attached.
      await assertEventually(async () => {
        await button.click();
        return /: [4-9]$/.test(await button.textContent() ?? "");
      });
      const before = Number((await button.textContent())!.split(": ").pop());
      await button.click();
      assert.equal(
        await button.textContent(),
        `</script><script>alert(1)</script>: ${before + 1}`,
      );
      assert.equal(await page.locator(".start-kind").textContent(), "signal");
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      controller.abort();
      await server.finished;
      await stopBundler();
    }
  },
});

async function assertEventually(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail("condition not met within 5 s");
}
