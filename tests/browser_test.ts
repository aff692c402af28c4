// The first user journey in real Chromium: open the app, upload a CSV, press
// Run, and watch the run page turn SUCCESS with its row counts, live.

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { startPlatform } from "./harness.ts";
import { launchChromium } from "./chromium.ts";

Deno.test("a user uploads a CSV, presses Run and sees SUCCESS with the row count", async () => {
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
    page.on("console", (message) => {
      // Failed responses are reported above with their URL.
      if (
        message.type() === "error" &&
        !message.text().startsWith("Failed to load resource")
      ) {
        problems.push(message.text());
      }
    });
    await page.goto(`${base}/`);
    await page.click("nav >> text=Load a CSV");
    await page.waitForSelector('.upload[data-hydrated="yes"]', {
      timeout: 30_000,
    });
    await page.setInputFiles("#csv-file", {
      name: "people.csv",
      mimeType: "text/csv",
      buffer: Buffer.from("id,name\n1,Ada\n2,Grace\n3,Linus\n4,Barbara\n"),
    });
    await page.waitForSelector('#upload-status[data-uploaded="yes"]', {
      timeout: 30_000,
    });
    await page.fill("#table", "people");
    await page.click("#run");
    await page.waitForURL(/\/runs\/\d+$/);
    await page.waitForSelector('[data-run-status="SUCCESS"]', {
      timeout: 60_000,
    });
    assert.equal(
      (await page.textContent('tr[data-step="load"] .rows-out'))?.trim(),
      "4",
    );
    assert.equal(
      (await page.textContent('tr[data-step="extract"] .rows-out'))?.trim(),
      "4",
    );
    await page.screenshot({ path: `${p.dataDir}/run.png` }).catch(() => {});
    if (Deno.env.get("ETL_SCREENSHOT")) {
      await page.screenshot({
        path: Deno.env.get("ETL_SCREENSHOT")!,
        fullPage: true,
      });
    }
    assert.deepEqual(problems, []);
    const [{ n }] = await p.services.db.query<{ n: number }>(
      "select count(*)::int as n from warehouse.people",
    );
    assert.equal(n, 4);
  } finally {
    await browser.close();
  }
});
