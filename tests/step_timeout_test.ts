// A step's `timeout` stops an attempt that runs too long: the attempt fails
// with "timed out after …", is retried while retries are left, and the run
// fails with that reason; a step within its limit is untouched.

import assert from "node:assert/strict";
import { startPlatform } from "./harness.ts";

/** A REST API whose `/slow` never finishes its body and `/fast` answers at once. */
function api() {
  let slowRequests = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      if (new URL(req.url).pathname === "/fast") {
        return Response.json({ data: [{ id: 1 }] });
      }
      slowRequests++;
      let timer: ReturnType<typeof setInterval> | undefined;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"data": ['));
          timer = setInterval(
            () => controller.enqueue(new TextEncoder().encode(" ")),
            100,
          );
        },
        cancel() {
          clearInterval(timer);
        },
      });
      return new Response(body, {
        headers: { "content-type": "application/json" },
      });
    },
  );
  return {
    url: (path: string) => `http://127.0.0.1:${server.addr.port}${path}`,
    slowRequests: () => slowRequests,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

async function post(
  p: { fetch(path: string, init?: RequestInit): Promise<Response> },
  path: string,
  body: unknown,
) {
  const response = await p.fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.status < 300, `${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

function pipeline(name: string, connector: string, timeout: string) {
  return {
    name,
    steps: [
      {
        id: "items",
        type: "extract",
        connector,
        retries: 1,
        timeout,
      },
      {
        id: "load",
        type: "load",
        needs: ["items"],
        connector: "warehouse",
        config: { table: name },
      },
    ],
  };
}

Deno.test("an attempt past its step's timeout fails, is retried, and the run says why", async () => {
  await using server = api();
  await using p = await startPlatform();
  for (const [name, path] of [["slow_api", "/slow"], ["fast_api", "/fast"]]) {
    await post(p, "/api/v1/connectors", {
      name,
      kind: "rest",
      config: { url: server.url(path), records_path: "data", retries: 0 },
    });
  }
  const slow = await post(
    p,
    "/api/v1/pipelines",
    pipeline("times_out", "slow_api", "1s"),
  );
  const { id: runId } = await post(
    p,
    `/api/v1/pipelines/${slow.id}/runs`,
    {},
  );
  const run = await p.waitForRun(runId);
  assert.equal(run.status, "FAILURE");
  const items = run.tasks.find((t) => t.step_key === "items")!;
  assert.equal(items.status, "FAILURE");
  assert.equal(items.error, "timed out after 1s");
  assert.equal(items.attempt, 2);
  assert.equal(server.slowRequests(), 2);
  assert.equal(run.tasks.find((t) => t.step_key === "load")!.status, "SKIPPED");
  const logs = await (await p.fetch(
    `/api/v1/runs/${runId}/tasks/${items.id}/logs`,
  )).text();
  assert.match(logs, /retrying in 1 s/);

  const fast = await post(
    p,
    "/api/v1/pipelines",
    pipeline("in_time", "fast_api", "1m"),
  );
  const ok = await p.waitForRun(
    (await post(p, `/api/v1/pipelines/${fast.id}/runs`, {})).id,
  );
  assert.equal(ok.status, "SUCCESS");
});

Deno.test("a timeout that isn't a duration is refused at its line", async () => {
  await using p = await startPlatform();
  const response = await p.fetch("/api/v1/pipelines", {
    method: "POST",
    headers: { "content-type": "application/yaml" },
    body: [
      "name: bad_timeout",
      "steps:",
      "  - id: read",
      "    type: extract",
      "    connector: files",
      "    timeout: ten minutes",
      "  - id: load",
      "    type: load",
      "    needs: [read]",
      "    connector: warehouse",
      "    config: { table: t }",
      "",
    ].join("\n"),
  });
  assert.equal(response.status, 422);
  const problem = await response.json();
  assert.deepEqual(problem.errors, [{
    field: "steps.0.timeout",
    message:
      'must be a duration like "90s", "10m" or "1h30m", not "ten minutes"',
    line: 6,
    column: 14,
  }]);
});
