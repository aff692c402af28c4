// Page forms that post several actions are authorized per action
// (route_policies.ts `actions`): an operator may test a connector but not
// save it; only owners and admins change who a resource is shared with.

import assert from "node:assert/strict";
import { startPlatform, type TestUser } from "./harness.ts";

function post(user: TestUser, path: string, fields: Record<string, string>) {
  return user.fetch(path, {
    method: "POST",
    body: new URLSearchParams(fields),
    redirect: "manual",
  });
}

Deno.test("a connector page's actions need connector.use, connector.edit or connector.share", async () => {
  await using p = await startPlatform();
  const owner = await p.createUser("editor");
  const friend = await p.createUser("editor");
  const operator = await p.createUser("operator");
  const viewer = await p.createUser("viewer");
  const created = await owner.fetch("/api/v1/connectors", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      name: "api",
      kind: "rest",
      config: { url: "http://127.0.0.1:1/items", retries: 0 },
    }),
  });
  assert.equal(created.status, 201);
  const { id } = await created.json();
  const path = `/connectors/${id}`;

  // Test: use. The operator gets the page with the (failed) answer.
  const tested = await post(operator, path, { _action: "test" });
  assert.equal(tested.status, 200);
  assert.match(await tested.text(), /id="test-result"[^>]*data-ok="false"/);
  const viewerTest = await post(viewer, path, { _action: "test" });
  assert.equal(viewerTest.status, 403);
  await viewerTest.body?.cancel();

  // Save and delete: edit.
  for (const action of ["save", "delete"]) {
    const refused = await post(operator, path, {
      _action: action,
      name: "renamed",
    });
    assert.equal(refused.status, 403, action);
    await refused.body?.cancel();
  }

  // Share: the owner only (and admins), not those it is shared with.
  const shared = await post(owner, path, {
    _action: "share",
    user: String(friend.id),
  });
  assert.equal(shared.status, 303);
  await shared.body?.cancel();
  const passOn = await post(friend, path, {
    _action: "share",
    user: String(operator.id),
  });
  assert.equal(passOn.status, 403);
  await passOn.body?.cancel();
  const shares = await (await p.fetch(`/api/v1/connectors/${id}/shares`))
    .json();
  assert.deepEqual(shares.map((s: { userId: number }) => s.userId), [
    friend.id,
  ]);
  // …but the friend may now test it and sees no share form.
  const page = await friend.fetch(path);
  const html = await page.text();
  assert.match(html, /id="test-connection"/);
  assert.doesNotMatch(html, /id="share-form"/);
  assert.match(await (await owner.fetch(path)).text(), /id="share-form"/);
});

Deno.test("a pipeline page runs for pipeline.run and shares for pipeline.share", async () => {
  await using p = await startPlatform();
  const owner = await p.createUser("editor");
  const friend = await p.createUser("editor");
  const operator = await p.createUser("operator");
  const saved = await owner.fetch("/api/v1/pipelines", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      name: "shared_pipeline",
      steps: [
        {
          id: "read",
          type: "extract",
          connector: "files",
          config: { path: "nothing.csv" },
        },
        {
          id: "load",
          type: "load",
          needs: ["read"],
          connector: "warehouse",
          config: { table: "t" },
        },
      ],
    }),
  });
  assert.equal(saved.status, 201);
  const { id } = await saved.json();
  const path = `/pipelines/${id}`;

  assert.doesNotMatch(await (await friend.fetch(path)).text(), /run-pipeline/);
  const notYet = await post(friend, path, {});
  assert.equal(notYet.status, 403);
  await notYet.body?.cancel();
  const operatorShare = await post(operator, path, {
    _action: "share",
    user: String(operator.id),
  });
  assert.equal(operatorShare.status, 403);
  await operatorShare.body?.cancel();

  const shared = await post(owner, path, {
    _action: "share",
    user: String(friend.id),
  });
  assert.equal(shared.status, 303);
  assert.equal(shared.headers.get("location"), `${path}?shared`);
  const page = await (await friend.fetch(path)).text();
  assert.match(page, /id="run-pipeline"/);
  assert.doesNotMatch(page, /id="share-form"/);
  const run = await post(friend, path, {});
  assert.equal(run.status, 303);
  assert.match(run.headers.get("location") ?? "", /^\/runs\/\d+$/);
  const passOn = await post(friend, path, {
    _action: "share",
    user: String(operator.id),
  });
  assert.equal(passOn.status, 403);
  await passOn.body?.cancel();
  const events = await (await p.fetch(
    "/api/v1/audit?action=pipeline.share",
  )).json();
  assert.equal(events.length, 1);
  assert.equal(events[0].actor, owner.email);
});
