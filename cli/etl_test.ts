import assert from "node:assert/strict";
import { runEtl } from "./test_cli.ts";

Deno.test("etl --help lists the commands; no command or an unknown one is a usage error", async () => {
  const help = await runEtl(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: deno task etl <command>/);
  assert.match(help.stdout, /rotate-key {2}re-encrypt connector credentials/);

  const none = await runEtl([]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /^Usage: deno task etl/);

  const unknown = await runEtl(["frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.match(
    unknown.stderr,
    /^error: Unknown command "frobnicate", expected one of rotate-key/,
  );
});

Deno.test("etl help <command> and <command> --help show the command's options", async () => {
  for (const args of [["help", "rotate-key"], ["rotate-key", "--help"]]) {
    const result = await runEtl(args);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^Usage: deno task etl rotate-key/);
    assert.match(result.stdout, /--server URL/);
  }
  const bad = await runEtl(["rotate-key", "--bogus"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^error: Unknown option '--bogus'; see/);
});
