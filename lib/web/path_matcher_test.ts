import assert from "node:assert/strict";
import { comparePatterns, matchPath, parsePath } from "./path_matcher.ts";

Deno.test("matchPath() returns decoded params and ignores a trailing slash", () => {
  const pattern = parsePath("/users/:id/runs/:run");
  assert.deepEqual(matchPath(pattern, "/users/a%20b/runs/7/"), {
    id: "a b",
    run: "7",
  });
  assert.equal(matchPath(pattern, "/users/a/runs"), null);
  assert.equal(matchPath(pattern, "/users/a/runs/7/extra"), null);
  assert.equal(matchPath(pattern, "/users/%E0%A4%A/runs/7"), null);
});

Deno.test("matchPath() catch-all takes zero or more segments", () => {
  const pattern = parsePath("/docs/:path*");
  assert.deepEqual(matchPath(pattern, "/docs/a/b"), { path: "a/b" });
  assert.deepEqual(matchPath(pattern, "/docs"), { path: "" });
  assert.equal(matchPath(pattern, "/doc"), null);
});

Deno.test("comparePatterns() sorts static before param before catch-all", () => {
  const sources = [
    "/:all*",
    "/users/:id",
    "/users/:id/edit",
    "/users/new",
    "/",
  ];
  const sorted = sources.map(parsePath).sort(comparePatterns).map((p) =>
    p.source
  );
  assert.deepEqual(sorted, [
    "/",
    "/users/new",
    "/users/:id",
    "/users/:id/edit",
    "/:all*",
  ]);
});

Deno.test("parsePath() rejects bad patterns with the fix", () => {
  assert.throws(() => parsePath("users"), /must start with "\/"/);
  assert.throws(() => parsePath("/:a*/b"), /must be the last segment/);
  assert.throws(() => parsePath("/:1x"), /invalid parameter name "1x"/);
});
