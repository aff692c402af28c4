// Helpers shared by this folder's tests (not a test file itself).
import { fileURLToPath } from "node:url";

/** Absolute path of the fixture app under testdata/. */
export const FIXTURE_ROOT = fileURLToPath(
  new URL("./testdata/basic", import.meta.url),
);

/** Run `fn` with console.error captured, returning what was logged. */
export async function captureErrors(
  fn: () => Promise<unknown>,
): Promise<string> {
  const original = console.error;
  const lines: string[] = [];
  console.error = (...args: unknown[]) =>
    lines.push(args.map(String).join(" "));
  try {
    await fn();
  } finally {
    console.error = original;
  }
  return lines.join("\n");
}
