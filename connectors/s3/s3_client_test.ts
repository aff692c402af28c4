import assert from "node:assert/strict";
import {
  AuthError,
  ConnectionError,
  ConnectorError,
  DataError,
  SchemaError,
} from "../errors.ts";
import { toS3Error } from "./s3_client.ts";

function sdkError(name: string, status?: number, message = "UnknownError") {
  return Object.assign(new Error(message), {
    name,
    $metadata: { httpStatusCode: status },
  });
}

Deno.test("toS3Error() maps statuses and error names to typed errors", () => {
  const cases = [
    [sdkError("Unknown", 403), AuthError, "Cannot x: access denied (HTTP 403)"],
    [sdkError("ExpiredToken", 400, "token expired"), AuthError, undefined],
    [sdkError("NotFound", 404), SchemaError, "Cannot x: gone"],
    [
      sdkError("NoSuchKey", 404, "The key does not exist"),
      SchemaError,
      "Cannot x: gone",
    ],
    [
      sdkError("InternalError", 503, "Slow down"),
      ConnectionError,
      "Cannot x: Slow down (HTTP 503)",
    ],
    [
      sdkError("TimeoutError", undefined, "timed out"),
      ConnectionError,
      "Cannot x: timed out",
    ],
    [
      Object.assign(new Error("connect refused"), { code: "ECONNREFUSED" }),
      ConnectionError,
      undefined,
    ],
    [
      sdkError("InvalidRequest", 400, "bad"),
      ConnectorError,
      "Cannot x: bad (HTTP 400)",
    ],
  ] as const;
  for (const [error, type, message] of cases) {
    const mapped = toS3Error(error, "Cannot x", { notFound: "gone" });
    assert.equal(mapped.constructor, type, error.name);
    if (message) assert.equal(mapped.message, message);
    assert.equal(mapped.cause, error);
  }
});

Deno.test("toS3Error() passes typed errors through and redacts secrets", () => {
  const typed = new DataError("bad row", { row: 3 });
  assert.equal(toS3Error(typed, "Cannot x"), typed);
  const leaky = sdkError("InvalidArgument", 400, "key s3cr3t-value rejected");
  const mapped = toS3Error(leaky, "Cannot x", { secrets: ["s3cr3t-value"] });
  assert.equal(mapped.message, "Cannot x: key *** rejected (HTTP 400)");
});
