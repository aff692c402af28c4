// Signing in and out in real Chromium: the login form, the nav, a token made
// on /account, Sign out, and the return to the page that asked for sign-in.

import assert from "node:assert/strict";
import type { Page } from "playwright-core";
import { startPlatform, TEST_PASSWORD } from "./harness.ts";
import { launchChromium } from "./chromium.ts";

/** Collects page errors, failed responses and console errors. */
function watch(page: Page, expected: RegExp[] = []): string[] {
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(error.message));
  page.on("response", (response) => {
    const line = `${response.status()} ${response.url()}`;
    if (response.status() >= 400 && !expected.some((re) => re.test(line))) {
      problems.push(line);
    }
  });
  page.on("console", (message) => {
    if (
      message.type() === "error" &&
      !message.text().startsWith("Failed to load resource")
    ) {
      problems.push(message.text());
    }
  });
  return problems;
}

Deno.test("a user signs in with the form, makes a token on /account, signs out and lands on /login", async () => {
  await using p = await startPlatform();
  const base = await p.listen();
  const browser = await launchChromium();
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems = watch(page, [/^401 .*\/login$/]);
    await page.goto(`${base}/`);
    await page.waitForURL(`${base}/login?next=%2F`);

    // A wrong password first: the same form again, with the message.
    await page.fill("#email", "admin@example.test");
    await page.fill("#password", "not the password");
    await page.click("#sign-in");
    await page.waitForSelector("#sign-in-error");
    assert.equal(
      (await page.textContent("#sign-in-error"))?.trim(),
      "Wrong email or password",
    );
    assert.equal(await page.inputValue("#email"), "admin@example.test");

    await page.fill("#password", TEST_PASSWORD);
    await page.click("#sign-in");
    await page.waitForURL(`${base}/`);
    assert.equal(
      (await page.textContent("#nav-account"))?.trim(),
      "admin@example.test",
    );
    const [cookie] = await context.cookies(base);
    assert.equal(cookie.name, "etl_session");
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, "Lax");

    await page.click("#nav-account");
    await page.waitForURL(`${base}/account`);
    await page.fill("#token-name", "from-the-browser");
    await page.fill("#token-days", "7");
    await page.click("#create-token");
    await page.waitForSelector("#new-token-value");
    const token = (await page.textContent("#new-token-value"))!.trim();
    assert.match(token, /^etl_[\w-]{40,}$/);
    const me = await p.fetch("/api/v1/me", {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal((await me.json()).email, "admin@example.test");
    // Reloading the account page shows its prefix, never the token again.
    await page.goto(`${base}/account`);
    const listed = await page.textContent("#tokens");
    assert.ok(listed?.includes("from-the-browser"));
    assert.ok(listed?.includes(`${token.slice(0, 10)}…`));
    assert.ok(!(await page.content()).includes(token));

    await page.click("#sign-out");
    await page.waitForURL(`${base}/login`);
    assert.equal(await page.$("#nav-account"), null);
    assert.deepEqual(await context.cookies(base), []);
    await page.goto(`${base}/account`);
    await page.waitForURL(`${base}/login?next=%2Faccount`);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});

Deno.test("an unauthenticated visit to /runs lands on /login and returns to /runs after sign-in", async () => {
  await using p = await startPlatform();
  const viewer = await p.createUser("viewer");
  const base = await p.listen();
  const browser = await launchChromium();
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems = watch(page);
    await page.goto(`${base}/runs`);
    await page.waitForURL(`${base}/login?next=%2Fruns`);
    assert.equal(await page.$("nav"), null, "a minimal header when signed out");
    await page.fill("#email", viewer.email);
    await page.fill("#password", TEST_PASSWORD);
    await page.click("#sign-in");
    await page.waitForURL(`${base}/runs`);
    assert.equal(
      (await page.textContent("#nav-account"))?.trim(),
      viewer.email,
    );
    // A viewer's nav has no Load a CSV, Users or Audit.
    const nav = (await page.textContent("nav")) ?? "";
    assert.match(nav, /Runs/);
    assert.doesNotMatch(nav, /Load a CSV|Users|Audit/);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});
