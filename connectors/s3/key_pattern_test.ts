import assert from "node:assert/strict";
import { globToRegExp, keyPattern, literalPrefix } from "./key_pattern.ts";

Deno.test("keyPattern() reads a path without wildcards as one exact key", () => {
  const pattern = keyPattern("exports/orders.csv");
  assert.equal(pattern.kind, "key");
  assert.equal(pattern.listPrefix, "exports/orders.csv");
  assert.equal(pattern.matches("exports/orders.csv"), true);
  assert.equal(pattern.matches("exports/orders.csv.gz"), false);
});

Deno.test("keyPattern() reads a path ending in / as everything under the prefix", () => {
  const pattern = keyPattern("exports/2026-01/");
  assert.equal(pattern.kind, "prefix");
  assert.equal(pattern.listPrefix, "exports/2026-01/");
  assert.equal(pattern.matches("exports/2026-01/a.csv"), true);
  assert.equal(pattern.matches("exports/2026-01/deep/b.csv"), true);
  assert.equal(pattern.matches("exports/2026-02/a.csv"), false);
  assert.equal(keyPattern("").kind, "prefix");
});

Deno.test("keyPattern() lists a glob by its longest literal prefix", () => {
  const pattern = keyPattern("exports/2026-*/orders-*.csv.gz");
  assert.equal(pattern.kind, "glob");
  assert.equal(pattern.listPrefix, "exports/2026-");
  assert.equal(pattern.matches("exports/2026-01/orders-1.csv.gz"), true);
  assert.equal(pattern.matches("exports/2026-01/orders-1.csv"), false);
  assert.equal(pattern.matches("exports/2026-01/x/orders-1.csv.gz"), false);
});

Deno.test("globToRegExp() keeps * and ? within one folder", () => {
  const star = globToRegExp("logs/*.ndjson");
  assert.equal(star.test("logs/a.ndjson"), true);
  assert.equal(star.test("logs/.ndjson"), true);
  assert.equal(star.test("logs/x/a.ndjson"), false);
  const question = globToRegExp("day-?.csv");
  assert.equal(question.test("day-1.csv"), true);
  assert.equal(question.test("day-10.csv"), false);
  assert.equal(question.test("day-/.csv"), false);
});

Deno.test("globToRegExp() lets ** cross folders, including none", () => {
  const nested = globToRegExp("data/**/part-*.csv");
  assert.equal(nested.test("data/part-1.csv"), true);
  assert.equal(nested.test("data/a/part-1.csv"), true);
  assert.equal(nested.test("data/a/b/c/part-1.csv"), true);
  assert.equal(nested.test("data/a/b/other.csv"), false);
  const tail = globToRegExp("data/**");
  assert.equal(tail.test("data/a/b.csv"), true);
  assert.equal(tail.test("other/a.csv"), false);
});

Deno.test("globToRegExp() matches regular expression characters literally", () => {
  const pattern = globToRegExp("a+b (1)/[x].csv");
  assert.equal(pattern.test("a+b (1)/[x].csv"), true);
  assert.equal(pattern.test("aab (1)/x.csv"), false);
  assert.equal(globToRegExp("a.csv").test("aXcsv"), false);
});

Deno.test("a backslash escapes a wildcard in keys and prefixes", () => {
  assert.equal(globToRegExp("odd\\*name-*.csv").test("odd*name-1.csv"), true);
  assert.equal(globToRegExp("odd\\*name-*.csv").test("oddXname-1.csv"), false);
  assert.equal(literalPrefix("odd\\*name-*.csv"), "odd*name-");
  const key = keyPattern("star\\*.csv");
  assert.equal(key.kind, "key");
  assert.equal(key.matches("star*.csv"), true);
});
