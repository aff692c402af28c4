import assert from "node:assert/strict";
import {
  AuthError,
  ConnectionError,
  ConnectorError,
  DataError,
  SchemaError,
} from "../errors.ts";
import { retryAfterMs } from "./http_client.ts";
import {
  collect,
  fakeClock,
  restConnector,
  testServer,
} from "./test_server.ts";

const ITEMS = [{ id: 1 }, { id: 2 }];

Deno.test("read() retries a 429 after the Retry-After seconds", async () => {
  await using server = testServer((_, n) =>
    n === 1
      ? new Response("slow down", {
        status: 429,
        headers: { "retry-after": "1" },
      })
      : Response.json(ITEMS)
  );
  const clock = fakeClock();
  // A backoff of 10 s tells the server's 1 s apart from the connector's own.
  const rest = restConnector({
    url: server.origin,
    retry_backoff_seconds: 10,
  }, { clock });
  const [batch] = await collect(rest.read());
  assert.deepEqual(batch.rows, [[1, null], [2, null]]);
  assert.equal(server.requests.length, 2);
  assert.deepEqual(clock.delays, [1000]);
});

Deno.test("read() honours a Retry-After HTTP date", async () => {
  const clock = fakeClock(Date.UTC(2024, 0, 1, 12, 0, 0));
  const later = new Date(Date.UTC(2024, 0, 1, 12, 0, 7)).toUTCString();
  await using server = testServer((_, n) =>
    n === 1
      ? new Response(null, { status: 503, headers: { "retry-after": later } })
      : Response.json(ITEMS)
  );
  await collect(restConnector({ url: server.origin }, { clock }).read());
  assert.deepEqual(clock.delays, [7000]);
});

Deno.test("read() retries 500 three times with doubling backoff, then succeeds", async () => {
  await using server = testServer((_, n) =>
    n <= 3 ? new Response("oops", { status: 500 }) : Response.json(ITEMS)
  );
  const clock = fakeClock();
  const rest = restConnector({ url: server.origin }, { clock });
  const [batch] = await collect(rest.read());
  assert.equal(batch.rows.length, 2);
  assert.equal(server.requests.length, 4);
  assert.deepEqual(clock.delays, [1000, 2000, 4000]);
});

Deno.test("read() caps every wait at retry_max_wait_seconds", async () => {
  await using server = testServer((_, n) =>
    n === 1
      ? new Response(null, { status: 429, headers: { "retry-after": "3600" } })
      : n <= 4
      ? new Response(null, { status: 502 })
      : Response.json(ITEMS)
  );
  const clock = fakeClock();
  await collect(
    restConnector({
      url: server.origin,
      retry_backoff_seconds: 2,
      retry_max_wait_seconds: 5,
    }, { clock }).read(),
  );
  assert.deepEqual(clock.delays, [5000, 4000, 5000, 5000]);
});

Deno.test("read() gives up after the retries with a ConnectionError naming the status", async () => {
  await using server = testServer(() =>
    new Response("down", { status: 503, statusText: "Service Unavailable" })
  );
  const rest = restConnector({ url: `${server.origin}/orders`, retries: 2 });
  await assert.rejects(collect(rest.read()), (error) => {
    assert.ok(error instanceof ConnectionError);
    assert.equal(
      error.message,
      `Cannot fetch "${server.origin}/orders" (page 1): HTTP 503 Service Unavailable (gave up after 3 attempts)`,
    );
    return true;
  });
  assert.equal(server.requests.length, 3);
});

Deno.test("read() retries a refused connection, then reports it", async () => {
  const server = testServer(() => Response.json([]));
  const origin = server.origin;
  await server[Symbol.asyncDispose]();
  const clock = fakeClock();
  const rest = restConnector({ url: origin, retries: 1 }, { clock });
  await assert.rejects(collect(rest.read()), (error) => {
    assert.ok(error instanceof ConnectionError);
    assert.match(
      error.message,
      /^Cannot fetch "http:\/\/127\.0\.0\.1:\d+\/" \(page 1\): fetch failed: .*refused.* \(gave up after 2 attempts\)$/i,
    );
    return true;
  });
  assert.deepEqual(clock.delays, [1000]);
});

Deno.test("read() fails with timeout after N s when the server never answers", async () => {
  const { promise: released, resolve: release } = Promise.withResolvers<
    void
  >();
  await using server = testServer(async () => {
    await released;
    return Response.json([]);
  });
  try {
    const rest = restConnector({
      url: server.origin,
      timeout_seconds: 1,
      retries: 1,
    });
    await assert.rejects(collect(rest.read()), (error) => {
      assert.ok(error instanceof ConnectionError);
      assert.match(
        error.message,
        /\(page 1\): timeout after 1 s \(gave up after 2 attempts\)$/,
      );
      return true;
    });
    assert.equal(server.requests.length, 2);
  } finally {
    // Held answers released, so the server can shut down.
    release();
  }
});

Deno.test("read() stops without retrying when its signal aborts", async () => {
  const { promise: released, resolve: release } = Promise.withResolvers<
    void
  >();
  const controller = new AbortController();
  await using server = testServer(async () => {
    controller.abort(new DOMException("run cancelled", "AbortError"));
    await released;
    return Response.json([]);
  });
  try {
    const clock = fakeClock();
    const rest = restConnector({ url: server.origin }, { clock });
    await assert.rejects(
      collect(rest.read({ signal: controller.signal })),
      { name: "AbortError", message: "run cancelled" },
    );
    assert.equal(server.requests.length, 1);
    assert.deepEqual(clock.delays, []);
  } finally {
    release();
  }
});

Deno.test("read() maps 401 and 403 to AuthError and 404 to SchemaError, without retrying", async () => {
  for (
    const [status, type] of [[401, AuthError], [403, AuthError], [
      404,
      SchemaError,
    ]] as const
  ) {
    await using server = testServer(() => new Response("no", { status }));
    const rest = restConnector({ url: `${server.origin}/things` });
    await assert.rejects(collect(rest.read()), (error) => {
      assert.ok(error instanceof type, `${status} gives ${type.name}`);
      assert.match(
        error.message,
        new RegExp(
          `^Cannot fetch "${server.origin}/things" \\(page 1\\): HTTP ${status}`,
        ),
      );
      return true;
    });
    assert.equal(server.requests.length, 1);
  }
});

Deno.test("read() reports another 4xx as a ConnectorError without retrying", async () => {
  await using server = testServer(() => new Response("bad", { status: 422 }));
  await assert.rejects(
    collect(restConnector({ url: server.origin }).read()),
    (error) => {
      assert.ok(error instanceof ConnectorError);
      assert.ok(!(error instanceof ConnectionError));
      assert.match(error.message, /HTTP 422/);
      return true;
    },
  );
  assert.equal(server.requests.length, 1);
});

Deno.test("read() reports a body that is not JSON as a DataError naming the URL and page", async () => {
  await using server = testServer((request) =>
    request.url.searchParams.get("page") === "2"
      ? new Response("<html>maintenance</html>", {
        headers: { "content-type": "text/html" },
      })
      : Response.json([{ id: 1 }])
  );
  const rest = restConnector({
    url: `${server.origin}/items`,
    pagination: "page",
  });
  await assert.rejects(collect(rest.read()), (error) => {
    assert.ok(error instanceof DataError);
    assert.match(
      error.message,
      new RegExp(
        `^Cannot fetch "${server.origin}/items\\?page=2" \\(page 2\\): response is not JSON \\(syntax error (at position \\d+ of|in) \\d+ characters\\)`,
      ),
    );
    return true;
  });
  assert.equal(server.requests.length, 2);
});

Deno.test("read() spaces requests per rate_limit_per_second", async () => {
  await using server = testServer((request) =>
    Response.json(
      Number(request.url.searchParams.get("page")) < 4 ? [{ id: 1 }] : [],
    )
  );
  const clock = fakeClock();
  const rest = restConnector({
    url: server.origin,
    pagination: "page",
    rate_limit_per_second: 2,
  }, { clock });
  await collect(rest.read());
  assert.equal(server.requests.length, 4);
  assert.deepEqual(clock.delays, [500, 500, 500]);
});

Deno.test("read() does not wait for the rate limit when the interval has passed", async () => {
  await using server = testServer(() => Response.json([{ id: 1 }]));
  const clock = fakeClock();
  const rest = restConnector({ url: server.origin, rate_limit_per_second: 4 }, {
    clock,
  });
  await collect(rest.read());
  await clock.sleep(250);
  await collect(rest.read());
  await collect(rest.read());
  assert.deepEqual(clock.delays, [250, 250]);
});

Deno.test("retryAfterMs() reads delay-seconds and HTTP dates, and ignores garbage", () => {
  const now = Date.UTC(2024, 0, 1);
  assert.equal(retryAfterMs("2", now), 2000);
  assert.equal(retryAfterMs(" 0 ", now), 0);
  assert.equal(retryAfterMs(new Date(now + 30_000).toUTCString(), now), 30_000);
  assert.equal(retryAfterMs(new Date(now - 30_000).toUTCString(), now), 0);
  assert.equal(retryAfterMs("soon", now), undefined);
  assert.equal(retryAfterMs(null, now), undefined);
});
