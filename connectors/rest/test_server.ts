// Test helpers for the REST source: a real HTTP server on 127.0.0.1 that
// records what it sees, a fake clock, and a connector built from partial config.

import { Logger } from "../../lib/log/logger.ts";
import type { RecordBatch } from "../types.ts";
import { restConfigSchema } from "./config.ts";
import { RestConnector } from "./rest_connector.ts";

/** A request as the test server saw it. */
export interface SeenRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
}

/** A running test server; `await using` shuts it down. */
export interface TestServer extends AsyncDisposable {
  /** e.g. "http://127.0.0.1:41234" */
  origin: string;
  requests: SeenRequest[];
}

/** Starts a server answering with `handler`, which gets each request and its 1-based number. */
export function testServer(
  handler: (
    request: SeenRequest,
    number: number,
  ) => Response | Promise<Response>,
): TestServer {
  const requests: SeenRequest[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const seen = {
        method: request.method,
        url: new URL(request.url),
        headers: request.headers,
        body: await request.text(),
      };
      requests.push(seen);
      return await handler(seen, requests.length);
    },
  );
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    requests,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}

/** A clock that only moves when slept on, and the waits it was asked for. */
export interface FakeClock {
  delays: number[];
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

/** A {@linkcode FakeClock} starting at `start` milliseconds. */
export function fakeClock(start = Date.UTC(2024, 0, 1)): FakeClock {
  let time = start;
  const delays: number[] = [];
  return {
    delays,
    now: () => time,
    sleep: (ms) => {
      delays.push(ms);
      time += ms;
      return Promise.resolve();
    },
  };
}

/** A connector for `config` (validated), on a fake clock unless `clock` is given. */
export function restConnector(
  config: Record<string, unknown>,
  options: { clock?: FakeClock; logger?: Logger } = {},
): RestConnector {
  const clock = options.clock ?? fakeClock();
  return new RestConnector(restConfigSchema.parse(config), {
    sleep: clock.sleep,
    now: clock.now,
    // Retries would otherwise print warnings among the test results.
    logger: options.logger ?? new Logger({ sink: () => {} }),
  });
}

/** Every batch of a read, collected. */
export async function collect(
  batches: AsyncIterable<RecordBatch>,
): Promise<RecordBatch[]> {
  const all: RecordBatch[] = [];
  for await (const batch of batches) all.push(batch);
  return all;
}
