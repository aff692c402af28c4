// Versions, diff and rollback through the API and the pages: every save is
// a version, the diff reads as `diff -u`, a rollback is a new version that
// runs use, and only those who may edit see and use Roll back.

import assert from "node:assert/strict";
import { type Platform, startPlatform } from "./harness.ts";

const CSV = "id,name\n1,a\n2,b\n";

function definition(path: string, mode: "append" | "replace") {
  return {
    name: "versioned",
    description: "Versions test",
    steps: [
      { id: "read", type: "extract", connector: "files", config: { path } },
      {
        id: "load",
        type: "load",
        needs: ["read"],
        connector: "warehouse",
        config: { table: "versioned", mode },
      },
    ],
  };
}

async function send(
  p: Platform,
  path: string,
  init: RequestInit & { json?: unknown } = {},
) {
  const { json, ...rest } = init;
  const response = await p.fetch(path, {
    ...rest,
    ...(json === undefined ? {} : {
      method: rest.method ?? "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(json),
    }),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // HTML or empty
  }
  // deno-lint-ignore no-explicit-any
  return { status: response.status, response, text, body: body as any };
}

async function startWithPipeline() {
  const files = await Deno.makeTempDir({ prefix: "etl_versions_" });
  const csv = `${files}/people.csv`;
  await Deno.writeTextFile(csv, CSV);
  const p = await startPlatform({ fileRoots: [files] });
  const first = await send(p, "/api/v1/pipelines?message=first", {
    json: definition(csv, "append"),
  });
  assert.equal(first.status, 201, first.text);
  const second = await send(p, "/api/v1/pipelines?message=replace%20it", {
    json: definition(csv, "replace"),
  });
  assert.equal(second.status, 201, second.text);
  assert.equal(second.body.id, first.body.id);
  assert.equal(second.body.version, 2);
  return {
    p,
    id: first.body.id as number,
    async [Symbol.asyncDispose]() {
      await p[Symbol.asyncDispose]();
      await Deno.remove(files, { recursive: true }).catch(() => {});
    },
  };
}

Deno.test("the API lists versions, shows one, diffs two and rolls back", async () => {
  await using env = await startWithPipeline();
  const { p, id } = env;
  const base = `/api/v1/pipelines/${id}`;

  const list = await send(p, `${base}/versions`);
  assert.equal(list.status, 200, list.text);
  assert.deepEqual(
    list.body.map(({ createdAt: _, ...v }: Record<string, unknown>) => v),
    [
      {
        version: 2,
        author: "admin@example.test",
        message: "replace it",
        current: true,
      },
      {
        version: 1,
        author: "admin@example.test",
        message: "first",
        current: false,
      },
    ],
  );
  assert.ok(!Number.isNaN(Date.parse(list.body[0].createdAt)));

  const one = await send(p, `${base}/versions/1`);
  assert.equal(one.status, 200, one.text);
  assert.equal(one.body.version, 1);
  assert.equal(one.body.current, false);
  assert.equal(one.body.definition.steps[1].config.mode, "append");
  for (const bad of ["9", "0", "abc"]) {
    const missing = await send(p, `${base}/versions/${bad}`);
    assert.equal(missing.status, 404, missing.text);
    assert.match(
      missing.response.headers.get("content-type") ?? "",
      /problem\+json/,
    );
  }

  // Default: the previous version → the current one.
  const diff = await send(p, `${base}/diff`);
  assert.equal(diff.status, 200, diff.text);
  assert.equal(diff.body.from, 1);
  assert.equal(diff.body.to, 2);
  assert.match(diff.body.diff, /^--- versioned@v1\n\+\+\+ versioned@v2\n@@ /);
  assert.match(diff.body.diff, /^- {6}mode: append$/m);
  assert.match(diff.body.diff, /^\+ {6}mode: replace$/m);
  const same = await send(p, `${base}/diff?from=2&to=2`);
  assert.deepEqual(same.body, { from: 2, to: 2, diff: "" });
  const onlyTo = await send(p, `${base}/diff?to=1`);
  assert.deepEqual(onlyTo.body, { from: 1, to: 1, diff: "" });
  for (
    const [query, field] of [
      ["from=x", "from"],
      ["to=0", "to"],
      ["from=1.5&to=2", "from"],
      ["from=-1", "from"],
    ]
  ) {
    const bad = await send(p, `${base}/diff?${query}`);
    assert.equal(bad.status, 422, `${query}: ${bad.text}`);
    assert.equal(bad.body.errors[0].field, field);
  }
  assert.equal((await send(p, `${base}/diff?from=1&to=9`)).status, 404);

  // Roll back to version 1: a new version 3 with version 1's definition.
  const rolled = await send(p, `${base}/rollback`, { json: { version: 1 } });
  assert.equal(rolled.status, 201, rolled.text);
  assert.deepEqual(rolled.body, {
    id,
    name: "versioned",
    version: 3,
    action: "update",
  });
  assert.equal(
    rolled.response.headers.get("location"),
    `${base}/versions/3`,
  );
  const third = await send(p, `${base}/versions/3`);
  assert.equal(third.body.message, "Roll back to version 1");
  assert.equal(third.body.current, true);
  assert.deepEqual(third.body.definition, one.body.definition);
  assert.equal((await send(p, `${base}/diff?from=1&to=3`)).body.diff, "");
  const current = await send(p, base);
  assert.equal(current.body.current_version, 3);

  const [audit] = await p.services.db.query<
    { actor: string; target_id: string; detail: Record<string, unknown> }
  >(
    "select actor, target_id, detail from audit_event where action = 'pipeline.rollback'",
  );
  assert.equal(audit.actor, "admin@example.test");
  assert.equal(audit.target_id, String(id));
  assert.deepEqual(audit.detail, { version: 3, restored: 1 });

  const withMessage = await send(p, `${base}/rollback`, {
    json: { version: 2, message: "Replace again" },
  });
  assert.equal(withMessage.status, 201, withMessage.text);
  assert.equal(
    (await send(p, `${base}/versions/4`)).body.message,
    "Replace again",
  );
  // Version 2 is what version 4 already says: 200, nothing added.
  const unchanged = await send(p, `${base}/rollback`, { json: { version: 2 } });
  assert.equal(unchanged.status, 200, unchanged.text);
  assert.deepEqual(unchanged.body, {
    id,
    name: "versioned",
    version: 4,
    action: "unchanged",
  });

  // Refusals: the current version, no version, an unknown one.
  for (
    const [body, status] of [
      [{ version: 4 }, 422],
      [{}, 422],
      [{ version: "1" }, 422],
      [{ version: 99 }, 404],
    ] as const
  ) {
    const refused = await send(p, `${base}/rollback`, { json: body });
    assert.equal(refused.status, status, refused.text);
    if (status === 422) assert.equal(refused.body.errors[0].field, "version");
  }
  assert.equal((await send(p, `${base}/versions`)).body.length, 4);

  // A run records the version it ran, and its page says so.
  const run = await send(p, `${base}/runs`, { json: {} });
  assert.equal(run.status, 201, run.text);
  const view = await p.waitForRun(run.body.id);
  assert.equal(view.status, "SUCCESS");
  assert.equal(view.version, 4);
  const runPage = await send(p, `/runs/${run.body.id}`);
  assert.match(runPage.text.replace(/<[^>]*>/g, ""), /version 4/);
});

Deno.test("the versions and diff pages, and Roll back for those who may edit", async () => {
  await using env = await startWithPipeline();
  const { p, id } = env;

  const versions = await send(p, `/pipelines/${id}/versions`);
  assert.equal(versions.status, 200, versions.text);
  assert.match(versions.text, /admin@example\.test/);
  assert.match(versions.text, /badge-current/);
  assert.match(
    versions.text,
    new RegExp(`href="/pipelines/${id}/diff\\?from=1&amp;to=2"`),
  );
  // Roll back is offered for the old version only.
  assert.match(versions.text, /id="rollback-1"/);
  assert.doesNotMatch(versions.text, /id="rollback-2"/);

  const diff = await send(p, `/pipelines/${id}/diff`);
  assert.equal(diff.status, 200, diff.text);
  assert.match(
    diff.text,
    /<span class="diff-del">- {6}mode: append\n<\/span>/,
  );
  assert.match(
    diff.text,
    /<span class="diff-add">\+ {6}mode: replace\n<\/span>/,
  );
  assert.match(diff.text, /<option value="1" selected/);
  const none = await send(p, `/pipelines/${id}/diff?from=2&to=2`);
  assert.match(none.text, /id="no-changes"/);
  assert.equal((await send(p, `/pipelines/${id}/diff?from=abc`)).status, 422);
  assert.equal((await send(p, `/pipelines/${id}/diff?to=7`)).status, 404);

  // The form posts; the pipeline page follows with the new version.
  const posted = await p.fetch(`/pipelines/${id}/rollback`, {
    method: "POST",
    body: new URLSearchParams({ version: "1" }),
  });
  assert.equal(posted.status, 303, await posted.text());
  assert.equal(
    posted.headers.get("location"),
    `/pipelines/${id}?rolled_back=3`,
  );
  const after = await send(p, `/api/v1/pipelines/${id}/versions`);
  assert.equal(after.body[0].version, 3);
  assert.equal(after.body[0].message, "Roll back to version 1");
  const missing = await p.fetch(`/pipelines/${id}/rollback`, {
    method: "POST",
    body: new URLSearchParams({}),
  });
  assert.equal(missing.status, 422);
  await missing.body?.cancel();

  // A viewer reads history and diffs, sees no Roll back and may not post one.
  const viewer = await p.createUser("viewer");
  const page = await viewer.fetch(`/pipelines/${id}/versions`);
  const html = await page.text();
  assert.equal(page.status, 200, html);
  assert.doesNotMatch(html, /id="rollback-|>Roll back</);
  assert.match(html, /diff with previous/);
  assert.equal((await viewer.fetch(`/pipelines/${id}/diff`)).status, 200);
  const refusedForm = await viewer.fetch(`/pipelines/${id}/rollback`, {
    method: "POST",
    body: new URLSearchParams({ version: "2" }),
  });
  assert.equal(refusedForm.status, 403);
  await refusedForm.body?.cancel();
  const refusedApi = await viewer.fetch(`/api/v1/pipelines/${id}/rollback`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ version: 2 }),
  });
  assert.equal(refusedApi.status, 403);
  await refusedApi.body?.cancel();
  const list = await (await viewer.fetch(`/api/v1/pipelines/${id}/versions`))
    .json();
  assert.equal(list.length, 3);
});
