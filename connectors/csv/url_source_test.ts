// The files source reading from an http URL, against a real local server.

import assert from "node:assert/strict";
import {
  AuthError,
  ConnectionError,
  ConnectorError,
  SchemaError,
} from "../errors.ts";
import { csvConfigSchema } from "./config.ts";
import { CsvConnector } from "./csv_connector.ts";
import { fetchFile } from "./url_source.ts";

const NDJSON = '{"id":1,"name":"Ann"}\n{"id":2,"name":"Bob"}\n';
const ROWS = [[1, "Ann"], [2, "Bob"]];

function gzipped(text: string): Promise<Uint8Array<ArrayBuffer>> {
  return new Response(
    ReadableStream.from([new TextEncoder().encode(text)])
      .pipeThrough(new CompressionStream("gzip")),
  ).bytes();
}

/** Serves a few files on 127.0.0.1; `release()` ends the stalled responses. */
async function withServer(
  test: (base: string) => Promise<void>,
): Promise<void> {
  const zipped = await gzipped(NDJSON);
  const stalled = Promise.withResolvers<void>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const { pathname } = new URL(request.url);
      switch (pathname) {
        case "/orders.ndjson":
          return new Response(NDJSON);
        case "/export":
          return new Response(NDJSON, {
            headers: { "content-type": "application/x-ndjson; charset=utf-8" },
          });
        case "/orders.ndjson.gz":
          return new Response(zipped, {
            headers: { "content-type": "application/gzip" },
          });
        case "/encoded.ndjson":
          return new Response(zipped, {
            headers: { "content-encoding": "gzip" },
          });
        case "/private.ndjson":
          return new Response("no", { status: 403 });
        case "/broken.ndjson":
          return new Response("oops", { status: 500 });
        case "/slow.ndjson":
          await stalled.promise;
          return new Response(NDJSON);
        case "/stalls.ndjson":
          return new Response(
            new ReadableStream({
              async start(controller) {
                controller.enqueue(new TextEncoder().encode('{"id":1}\n'));
                await stalled.promise;
                controller.close();
              },
            }),
          );
        default:
          return new Response("not here", { status: 404 });
      }
    },
  );
  try {
    await test(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    stalled.resolve();
    await server.shutdown();
  }
}

function files(config: Record<string, unknown>): CsvConnector {
  return new CsvConnector(csvConfigSchema.parse(config), {
    allowedRoots: [],
  });
}

Deno.test("CsvConnector reads NDJSON from a URL, format from the extension or Content-Type", async () => {
  await withServer(async (base) => {
    for (const path of ["/orders.ndjson", "/export"]) {
      const connector = files({ url: `${base}${path}` });
      assert.deepEqual(await connector.check(), { ok: true });
      const batches = await Array.fromAsync(connector.read());
      assert.deepEqual(batches.map((batch) => batch.rows), [ROWS], path);
    }
  });
});

Deno.test("CsvConnector reads a gzip body, as a .gz file or a Content-Encoding", async () => {
  await withServer(async (base) => {
    for (const path of ["/orders.ndjson.gz", "/encoded.ndjson"]) {
      const connector = files({ url: `${base}${path}` });
      const [batch] = await Array.fromAsync(connector.read());
      assert.deepEqual(batch.rows, ROWS, path);
    }
    const [table] = await files({ url: `${base}/orders.ndjson.gz?page=1` })
      .discover();
    assert.equal(table.name, "orders");
  });
});

Deno.test("CsvConnector reports a non-2xx status with the status, never the query", async () => {
  await withServer(async (base) => {
    const cases: [string, typeof ConnectorError, string][] = [
      ["/missing.json", SchemaError, "JSON", "404 Not Found"],
      ["/private.ndjson", AuthError, "NDJSON", "403 Forbidden"],
      [
        "/broken.ndjson",
        ConnectionError,
        "NDJSON",
        "500 Internal Server Error",
      ],
    ].map(([path, type, label, status]) => [
      path as string,
      type as typeof ConnectorError,
      `Cannot read ${label} "${base}${path}?…": HTTP ${status}`,
    ]);
    for (const [path, type, message] of cases) {
      const connector = files({ url: `${base}${path}?token=secret` });
      for (
        const attempt of [connector.check(), Array.fromAsync(connector.read())]
      ) {
        await assert.rejects(attempt, (error) => {
          assert.ok(error instanceof type, `${path}: ${error}`);
          assert.equal((error as Error).message, message);
          return true;
        });
      }
    }
  });
});

Deno.test("CsvConnector times out waiting for the response and for the body", async () => {
  await withServer(async (base) => {
    const slow = files({ url: `${base}/slow.ndjson`, timeout_seconds: 0.2 });
    await assert.rejects(Array.fromAsync(slow.read()), {
      name: "ConnectionError",
      message:
        `Cannot read NDJSON "${base}/slow.ndjson": no response within 0.2 s`,
    });
    const stalls = files({
      url: `${base}/stalls.ndjson`,
      timeout_seconds: 0.2,
    });
    await assert.rejects(Array.fromAsync(stalls.read()), {
      name: "ConnectionError",
      message: `Cannot read NDJSON "${base}/stalls.ndjson": no data for 0.2 s`,
    });
  });
});

Deno.test("CsvConnector reports an unreachable server as a ConnectionError", async () => {
  // A port that was just free: nothing listens there any more.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  const connector = files({ url: `http://127.0.0.1:${port}/a.json` });
  await assert.rejects(connector.check(), (error) => {
    assert.ok(error instanceof ConnectionError);
    assert.match(
      error.message,
      /^Cannot read JSON "http:\/\/127\.0\.0\.1:\d+\/a\.json": /,
    );
    return true;
  });
});

Deno.test("fetchFile() refuses schemes other than http and https", async () => {
  for (const url of ["file:///etc/passwd", "ftp://example.com/a.csv"]) {
    await assert.rejects(fetchFile(url, { timeoutMs: 1000, label: "CSV" }), {
      name: "ConnectorError",
      message: /: only http and https URLs can be read$/,
    });
    assert.equal(csvConfigSchema.safeParse({ url }).success, false, url);
  }
});
