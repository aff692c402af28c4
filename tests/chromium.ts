// Launches Debian's Chromium for browser tests with the flags this machine
// needs (no sandbox as root; no background networking on a closed network).

import { type Browser, chromium } from "playwright-core";

/** Path of the Chromium binary (`CHROMIUM_PATH` overrides). */
export const CHROMIUM_PATH = Deno.env.get("CHROMIUM_PATH") ??
  "/usr/bin/chromium";

/** Starts a headless Chromium. */
export async function launchChromium(): Promise<Browser> {
  return await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}
