// http steps end to end against Deno.serve fixtures on 127.0.0.1: responses
// become rows, requests carry their body and headers, an unexpected status
// fails with the reason, a REST connector's token stays on its own origin,
// and an oversized response fails clearly.

import assert from "node:assert/strict";
import { type Platform, startPlatform } from "./harness.ts";
import { testServer } from "../connectors/rest/test_server.ts";
import { MAX_RESPONSE_BYTES } from "../lib/engine/steps/http_step.ts";
import type { RunView } from "../lib/engine/run_view.ts";

async function ok(p: Platform, path: string, body: unknown) {
  const response = await p.fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  assert.ok(response.status < 300, `${path}: ${JSON.stringify(json)}`);
  return json;
}

async function run(
  p: Platform,
  definition: unknown,
  params: Record<string, unknown> = {},
): Promise<RunView> {
  const { id } = await ok(p, "/api/v1/pipelines", definition);
  const started = await ok(p, `/api/v1/pipelines/${id}/runs`, { params });
  return await p.waitForRun(started.id);
}

const task = (view: RunView, step: string) =>
  view.tasks.find((t) => t.step_key === step)!;

Deno.test("an http GET of a JSON array loads its objects as rows", async () => {
  await using api = testServer(() =>
    Response.json([
      { id: 1, name: "ada", tags: ["x"] },
      { id: 2, name: "bob", score: 2.5 },
    ])
  );
  await using p = await startPlatform();
  const view = await run(p, {
    name: "http_get",
    steps: [
      { id: "people", type: "http", url: `${api.origin}/people` },
      {
        id: "load",
        type: "load",
        needs: ["people"],
        connector: "warehouse",
        config: { table: "people" },
      },
    ],
  });
  assert.equal(view.status, "SUCCESS", JSON.stringify(view.tasks));
  assert.equal(task(view, "people").rows_out, 2);
  assert.equal(api.requests[0].method, "GET");
  const rows = await p.services.db.query(
    "select id, name, tags, score from warehouse.people order by id",
  );
  assert.deepEqual(rows, [
    { id: 1, name: "ada", tags: ["x"], score: null },
    { id: 2, name: "bob", tags: null, score: 2.5 },
  ]);
});

Deno.test("an http POST sends its JSON body and headers, templates rendered", async () => {
  await using api = testServer(() => Response.json({ accepted: true, n: 7 }));
  await using p = await startPlatform();
  const view = await run(p, {
    name: "http_post",
    params: { region: { type: "string" } },
    steps: [
      {
        id: "notify",
        type: "http",
        method: "POST",
        url: `${api.origin}/hooks/{{ params.region }}`,
        headers: { "X-Region": "{{ params.region }}" },
        body: {
          region: "{{ params.region }}",
          full: true,
          run: "{{ run.id }}",
        },
        expect_status: [200, 202],
      },
      {
        id: "load",
        type: "load",
        needs: ["notify"],
        connector: "warehouse",
        config: { table: "answers" },
      },
    ],
  }, { region: "eu west" });
  assert.equal(view.status, "SUCCESS", JSON.stringify(view.tasks));
  const [seen] = api.requests;
  assert.equal(seen.method, "POST");
  assert.equal(seen.url.pathname, "/hooks/eu%20west");
  assert.equal(seen.headers.get("x-region"), "eu west");
  assert.equal(seen.headers.get("content-type"), "application/json");
  assert.deepEqual(JSON.parse(seen.body), {
    region: "eu west",
    full: true,
    run: String(view.id),
  });
  const rows = await p.services.db.query(
    "select accepted, n from warehouse.answers",
  );
  assert.deepEqual(rows, [{ accepted: true, n: 7 }]);
});

Deno.test("an unexpected status fails the step with the status and the start of the body", async () => {
  await using api = testServer(() =>
    new Response("upstream down " + "x".repeat(500), { status: 503 })
  );
  await using p = await startPlatform();
  const view = await run(p, {
    name: "http_503",
    steps: [
      {
        id: "call",
        type: "http",
        url: `${api.origin}/health`,
        expect_status: [200],
      },
      {
        id: "load",
        type: "load",
        needs: ["call"],
        connector: "warehouse",
        config: { table: "never" },
      },
    ],
  });
  assert.equal(view.status, "FAILURE");
  const error = task(view, "call").error ?? "";
  assert.ok(
    error.startsWith("expected status 200, got 503: upstream down xxx"),
    error,
  );
  assert.ok(error.length < 260, `the body is cut: ${error.length} chars`);
  assert.equal(task(view, "load").status, "SKIPPED");
});

Deno.test("a REST connector's bearer token goes to its own origin only", async () => {
  await using own = testServer((seen) =>
    seen.url.pathname.endsWith("/echo")
      ? new Response(`refused ${seen.headers.get("authorization")}`, {
        status: 401,
      })
      : Response.json({ ok: 1 })
  );
  await using other = testServer(() => Response.json({ ok: 2 }));
  await using p = await startPlatform();
  const token = "tok-7f3a9c1e55d2";
  await ok(p, "/api/v1/connectors", {
    name: "crm",
    kind: "rest",
    config: { url: `${own.origin}/api/v1/`, auth_type: "bearer", token },
  });
  const good = await run(p, {
    name: "http_own",
    steps: [{ id: "ping", type: "http", connector: "crm", url: "ping" }],
  });
  assert.equal(good.status, "SUCCESS", JSON.stringify(good.tasks));
  assert.equal(own.requests[0].url.pathname, "/api/v1/ping");
  assert.equal(own.requests[0].headers.get("authorization"), `Bearer ${token}`);

  const elsewhere = await run(p, {
    name: "http_elsewhere",
    steps: [{
      id: "steal",
      type: "http",
      connector: "crm",
      url: `${other.origin}/collect`,
    }],
  });
  assert.equal(elsewhere.status, "FAILURE");
  assert.match(
    elsewhere.tasks[0].error ?? "",
    /credentials are only sent to its own origin/,
  );
  assert.equal(other.requests.length, 0, "nothing reached the other origin");

  // A response echoing the token back is shown redacted.
  const echoed = await run(p, {
    name: "http_echo",
    steps: [{ id: "echo", type: "http", connector: "crm", url: "echo" }],
  });
  assert.equal(
    echoed.tasks[0].error,
    "expected a 2xx status, got 401: refused Bearer ***",
  );

  // Without the connector, nothing of it is sent.
  const plain = await run(p, {
    name: "http_plain",
    steps: [{ id: "call", type: "http", url: `${other.origin}/collect` }],
  });
  assert.equal(plain.status, "SUCCESS");
  assert.equal(other.requests[0].headers.get("authorization"), null);
  const logs = await p.services.db.query<{ message: string }>(
    "select message from task_log",
  );
  assert.ok(logs.every((l) => !l.message.includes(token)));
});

Deno.test("a response over the size cap fails the step clearly", async () => {
  const chunk = new Uint8Array(1024 * 1024).fill(0x61);
  let sent = 0;
  await using api = testServer(() =>
    new Response(
      new ReadableStream({
        pull(controller) {
          // One MiB at a time, forever: the step must stop reading.
          sent += chunk.length;
          controller.enqueue(chunk);
        },
      }),
    )
  );
  await using p = await startPlatform();
  const view = await run(p, {
    name: "http_big",
    steps: [{ id: "big", type: "http", url: `${api.origin}/big` }],
  });
  assert.equal(view.status, "FAILURE");
  assert.match(
    view.tasks[0].error ?? "",
    /the response is larger than 64 MiB/,
  );
  assert.ok(sent >= MAX_RESPONSE_BYTES);
  assert.ok(sent < MAX_RESPONSE_BYTES * 4, `the fixture sent ${sent} bytes`);
});
