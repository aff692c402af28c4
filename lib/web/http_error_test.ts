import assert from "node:assert/strict";
import { HttpError, statusText } from "./http_error.ts";

Deno.test("HttpError defaults its message to the reason phrase and keeps headers", () => {
  const error = new HttpError(405, undefined, { headers: { allow: "GET" } });
  assert.equal(error.message, "Method Not Allowed");
  assert.equal(error.status, 405);
  assert.equal(error.headers.get("allow"), "GET");
  assert.ok(error instanceof Error);
});

Deno.test("HttpError keeps a cause and refuses non-error statuses", () => {
  const cause = new Error("row locked");
  assert.equal(
    new HttpError(409, "Run already started", { cause }).cause,
    cause,
  );
  assert.throws(() => new HttpError(200), /status 200/);
  assert.equal(statusText(599), "Error");
});
