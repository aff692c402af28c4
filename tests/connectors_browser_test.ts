// Connectors in real Chromium: create a PostgreSQL connector through the
// generated form, press Test connection and read "OK" with the version inline.

import assert from "node:assert/strict";
import { startPlatform } from "./harness.ts";
import { launchChromium } from "./chromium.ts";
import { createScratchDatabase } from "../lib/db/test_db.ts";

Deno.test("a user creates a PostgreSQL connector in the form and Test connection says OK with the version", async () => {
  const scratch = await createScratchDatabase("etl_conn_browser");
  await using p = await startPlatform();
  const base = await p.listen();
  const browser = await launchChromium();
  try {
    const context = await browser.newContext();
    await p.signInBrowser(context, base);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    page.on("response", (response) => {
      if (response.status() >= 400) {
        problems.push(`${response.status()} ${response.url()}`);
      }
    });
    await page.goto(`${base}/connectors`);
    await page.click("#new-connector");
    await page.click("text=PostgreSQL");
    await page.waitForURL(/kind=postgres/);
    const url = new URL(scratch.url);
    await page.fill("#field-name", "browser_pg");
    await page.fill("#field-host", url.hostname);
    await page.fill("#field-port", url.port);
    await page.fill("#field-database", url.pathname.slice(1));
    await page.fill("#field-user", "postgres");
    await page.fill("#field-password", "Browser-s3cret-1");
    await page.click("#save-connector");
    await page.waitForURL(/\/connectors\/\d+$/);
    assert.equal(await page.textContent("#connector-name"), "browser_pg");

    // Hydrated: the island asks the API and answers without a page load.
    await page.evaluate(() => {
      (globalThis as { stillHere?: boolean }).stillHere = true;
    });
    await page.click("#test-connection");
    await page.waitForSelector('#test-result[data-ok="true"]', {
      timeout: 30_000,
    });
    const answer = await page.textContent("#test-result");
    assert.match(answer ?? "", /^OK — PostgreSQL \d+/);
    assert.equal(
      await page.evaluate(() =>
        (globalThis as { stillHere?: boolean }).stillHere
      ),
      true,
      "the answer came inline, not from a page load",
    );
    assert.ok(!(await page.content()).includes("Browser-s3cret-1"));
    if (Deno.env.get("ETL_SCREENSHOT")) {
      await page.screenshot({
        path: Deno.env.get("ETL_SCREENSHOT")!,
        fullPage: true,
      });
    }
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await scratch.drop();
  }
});
