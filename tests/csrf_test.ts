// Cross-site request forgery, against a real listening server: with the
// admin's session cookie, every unsafe route (enumerated from the app)
// refuses a request a browser marks as cross-site or from another origin,
// and changes nothing; same-origin requests work. Then in real Chromium an
// attacker page on another origin auto-submits forms and fires
// credentialed fetches at the platform, and nothing happens.

import assert from "node:assert/strict";
import { type Platform, startPlatform } from "./harness.ts";
import { launchChromium } from "./chromium.ts";
import { createApp } from "../app.ts";
import { expandPattern, knownIds, postJson } from "./web_surface.ts";

const UNSAFE = ["POST", "PUT", "PATCH", "DELETE"];

/** Everything a forged request could change, as text, to compare before and after. */
async function snapshot(p: Platform): Promise<Record<string, string[]>> {
  const { db } = p.services;
  const tables = await db.query<{ name: string }>(
    `select table_name as name from information_schema.tables
      where table_schema = 'etl' and table_type = 'BASE TABLE'
        and table_name not in ('schema_migration', 'scheduler_tick')
      order by table_name`,
  );
  const out: Record<string, string[]> = {};
  for (const { name } of tables) {
    // Sessions are touched by use (last_seen_at): compare who holds one.
    const sql = name === "session"
      ? "select user_id::text || ' ' || expires_at::date::text as row from etl.session order by 1"
      : `select t::text as row from etl.${name} t order by 1`;
    out[name] = (await db.query<{ row: string }>(sql)).map((r) => r.row);
  }
  return out;
}

/** A minimal pipeline definition named `name`. */
const pipelineDef = (name: string) => ({
  name,
  steps: [{
    id: "read",
    type: "extract",
    connector: "files",
    config: { path: "nothing.csv" },
  }],
});

/** A body each unsafe route could plausibly act on. */
function bodyFor(pattern: string, method: string): string | undefined {
  if (method === "DELETE") return undefined;
  if (pattern === "/api/v1/connectors") {
    return JSON.stringify({
      name: "forged_api",
      kind: "rest",
      config: { url: "http://127.0.0.1:9/x" },
    });
  }
  if (pattern === "/api/v1/pipelines") {
    return JSON.stringify(pipelineDef("forged_pipeline"));
  }
  if (pattern === "/api/v1/users") {
    return JSON.stringify({
      email: "forged@evil.example",
      role: "admin",
      password: "forged password 123",
    });
  }
  if (pattern === "/api/v1/users/:id") {
    return JSON.stringify({ role: "viewer" });
  }
  if (pattern === "/api/v1/auth/login") {
    return JSON.stringify({ email: "admin@example.test", password: "x" });
  }
  if (pattern.startsWith("/api/")) return JSON.stringify({ name: "forged" });
  return new URLSearchParams({
    kind: "rest",
    name: "forged_form",
    "config.url": "http://127.0.0.1:9/x",
    email: "forged@evil.example",
    role: "admin",
    password: "forged password 123",
    _action: "delete",
  }).toString();
}

Deno.test("with a session cookie, every unsafe route refuses cross-site and cross-origin requests and changes nothing; same-origin works", async () => {
  await using p = await startPlatform();
  const base = await p.listen();
  const victim = await postJson<{ id: number }>(
    p,
    "/api/v1/pipelines",
    pipelineDef("victim"),
  );
  await postJson(p, "/api/v1/connectors", {
    name: "victim_api",
    kind: "rest",
    config: { url: "http://127.0.0.1:9/x" },
  });
  const viewer = await p.createUser("viewer");
  const cookie = await p.admin.sessionCookie();

  // Every unsafe method of every route, ids filled with real ones.
  const ids = await knownIds(p.services.db);
  const app = await createApp(p.services);
  const targets: { method: string; path: string; pattern: string }[] = [];
  for (const route of app.routes()) {
    for (const method of route.methods ?? UNSAFE) {
      if (!UNSAFE.includes(method)) continue;
      // Keep one concrete path a pattern; the admin's own user for users/:id
      // would be a no-op, so aim at the viewer.
      const paths = expandPattern(route.path, {
        ...ids,
        users: [viewer.id],
        runs: ids.runs.length ? ids.runs : [1],
        tokens: ids.tokens.slice(-1),
      });
      const path = paths[paths.length - 1];
      if (path) targets.push({ method, path, pattern: route.path });
    }
  }
  assert.ok(targets.length >= 20, `unsafe routes found: ${targets.length}`);

  const forged: Record<string, string>[] = [
    { "sec-fetch-site": "cross-site" },
    { "sec-fetch-site": "same-site" },
    { "sec-fetch-site": "cross-site", origin: "https://evil.example" },
    { origin: "https://evil.example" },
    { origin: "null" },
    { origin: base.replace("http:", "https:") },
    { origin: base.replace(/:\d+$/, ":1") },
  ];
  const before = await snapshot(p);
  for (const headers of forged) {
    for (const { method, path, pattern } of targets) {
      const body = bodyFor(pattern, method);
      const response = await fetch(`${base}${path}`, {
        method,
        headers: {
          cookie,
          ...headers,
          ...(body === undefined ? {} : {
            "content-type": body.startsWith("{")
              ? "text/plain"
              : "application/x-www-form-urlencoded",
          }),
        },
        body,
        redirect: "manual",
      });
      const text = await response.text();
      assert.equal(
        response.status,
        403,
        `${method} ${path} with ${JSON.stringify(headers)}: ${text}`,
      );
      assert.match(text, /Cross-site request refused/);
    }
  }
  assert.deepEqual(
    await snapshot(p),
    before,
    "a refused request changed nothing",
  );

  // The session still works after the forged logouts.
  const me = await fetch(`${base}/api/v1/me`, { headers: { cookie } });
  assert.equal(me.status, 200, await me.text());

  // Same-origin: the browser says same-origin (or sends only a matching Origin).
  const allowed: Record<string, string>[] = [
    { "sec-fetch-site": "same-origin", origin: base },
    { origin: base },
    { "sec-fetch-site": "none" },
  ];
  for (const [i, headers] of allowed.entries()) {
    const response = await fetch(`${base}/api/v1/connectors`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json", ...headers },
      body: JSON.stringify({
        name: `same_origin_${i}`,
        kind: "rest",
        config: { url: "http://127.0.0.1:9/x" },
      }),
    });
    assert.equal(response.status, 201, await response.text());
  }
  const form = await fetch(`${base}/connectors/new`, {
    method: "POST",
    headers: {
      cookie,
      "sec-fetch-site": "same-origin",
      origin: base,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({
      kind: "rest",
      name: "same_origin_form",
      "config.url": "http://127.0.0.1:9/x",
    }),
    redirect: "manual",
  });
  assert.equal(form.status, 303, await form.text());
  const run = await fetch(`${base}/pipelines/${victim.id}`, {
    method: "POST",
    headers: { cookie, "sec-fetch-site": "same-origin", origin: base },
    redirect: "manual",
  });
  assert.equal(run.status, 303, await run.text());
  // Controls: the text/plain bodies a no-cors fetch or an enctype=text/plain
  // form can send are refused by the pipelines API even same-origin (415: it
  // reads only JSON and YAML), a second line of defence behind the CSRF rule.
  const textPlain = [
    JSON.stringify(pipelineDef("control_fetch")),
    JSON.stringify({ ...pipelineDef("control_form"), description: "" })
      .slice(0, -2) + '="}\r\n',
  ];
  for (const body of textPlain) {
    const response = await fetch(`${base}/api/v1/pipelines`, {
      method: "POST",
      headers: {
        cookie,
        "sec-fetch-site": "same-origin",
        "content-type": "text/plain",
      },
      body,
    });
    assert.equal(response.status, 415, await response.text());
  }
  // A non-browser client (no Sec-Fetch-Site, no Origin) with an API token.
  const api = await fetch(`${base}/api/v1/connectors`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${p.admin.token}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({
      name: "api_client",
      kind: "rest",
      config: { url: "http://127.0.0.1:9/x" },
    }),
  });
  assert.equal(api.status, 201, await api.text());
  const names = (await p.services.db.query<{ name: string }>(
    "select name from connector where name like 'same_origin%' or name = 'api_client' order by name",
  )).map((r) => r.name);
  assert.deepEqual(names, [
    "api_client",
    "same_origin_0",
    "same_origin_1",
    "same_origin_2",
    "same_origin_form",
  ]);
  await p.waitForRun(
    (await p.services.db.query<{ id: number }>(
      "select max(id) as id from pipeline_run",
    ))[0].id,
  );
});

/** The attacker's page: auto-submitting forms and credentialed fetches at `base`. */
function attackerPage(base: string, pipelineId: number, tag: string): string {
  const pipeline = JSON.stringify(pipelineDef(`csrf_fetch_${tag}`));
  const connector = JSON.stringify({
    name: `csrf_fetch_${tag}`,
    kind: "rest",
    config: { url: "http://127.0.0.1:9/x" },
  });
  // enctype=text/plain sends `name=value`: the name carries the JSON up to
  // a last string field that swallows "=" and the value.
  const formJsonName = JSON.stringify({
    ...pipelineDef(`csrf_form_${tag}`),
    description: "",
  }).slice(0, -2);
  const attr = (text: string) =>
    text.replaceAll("&", "&amp;").replaceAll("'", "&#39;");
  return `<!doctype html><html><body>
<iframe name="f1"></iframe><iframe name="f2"></iframe><iframe name="f3"></iframe>
<form id="connector" action="${base}/connectors/new" method="post" target="f1">
  <input name="kind" value="rest"><input name="name" value="csrf_form_${tag}">
  <input name="config.url" value="http://127.0.0.1:9/x">
</form>
<form id="pipeline" action="${base}/api/v1/pipelines" method="post" enctype="text/plain" target="f2">
  <input name='${attr(formJsonName)}' value='"}'>
</form>
<form id="run" action="${base}/pipelines/${pipelineId}" method="post" target="f3"></form>
<script>
  for (const id of ["connector", "pipeline", "run"]) document.getElementById(id).submit();
  const send = (path, init) => fetch(${JSON.stringify(base)} + path, {
    method: "POST", credentials: "include", ...init,
  }).then((r) => r.type + " " + r.status, (e) => "error " + e.message);
  Promise.all([
    send("/api/v1/pipelines", { mode: "no-cors", headers: { "content-type": "text/plain" }, body: ${
    JSON.stringify(pipeline)
  } }),
    send("/api/v1/connectors", { mode: "no-cors", headers: { "content-type": "text/plain" }, body: ${
    JSON.stringify(connector)
  } }),
    send("/connectors/new", { mode: "no-cors", body: new URLSearchParams({ kind: "rest", name: "csrf_fetch_form_${tag}", "config.url": "http://127.0.0.1:9/x" }) }),
    send("/pipelines/${pipelineId}", { mode: "no-cors" }),
    // A CORS request: the preflight finds no CORS headers, so it is never sent.
    send("/api/v1/connectors", { headers: { "content-type": "application/json" }, body: ${
    JSON.stringify(connector)
  } }),
  ]).then((results) => { window.results = results; document.title = "done"; });
</script></body></html>`;
}

/** A page that submits a form at the top level, leaving for the platform. */
function topLevelPage(base: string, tag: string): string {
  return `<!doctype html><html><body>
<form id="f" action="${base}/connectors/new" method="post">
  <input name="kind" value="rest"><input name="name" value="csrf_top_${tag}">
  <input name="config.url" value="http://127.0.0.1:9/x">
</form>
<script>document.getElementById("f").submit();</script></body></html>`;
}

Deno.test("in Chromium, an attacker page on another origin cannot make the signed-in admin's browser change anything; the platform's own forms work", async () => {
  await using p = await startPlatform();
  const base = await p.listen();
  const victim = await postJson<{ id: number }>(
    p,
    "/api/v1/pipelines",
    pipelineDef("victim"),
  );
  // The attacker's server: its own pages, no CSP, on another port.
  await using attacker = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      const url = new URL(req.url);
      const tag = url.searchParams.get("tag") ?? "x";
      const html = url.pathname === "/top"
        ? topLevelPage(base, tag)
        : attackerPage(base, victim.id, tag);
      return new Response(html, {
        headers: { "content-type": "text/html; charset=utf-8" },
      });
    },
  );
  const port = attacker.addr.port;
  const browser = await launchChromium();
  try {
    const context = await browser.newContext();
    await p.signInBrowser(context, base);
    const before = await snapshot(p);
    const seen: {
      method: string;
      url: string;
      status: number;
      from: string;
      navigation: boolean;
      cookie: boolean;
    }[] = [];
    const pending: Promise<void>[] = [];
    context.on("response", (response) => {
      const request = response.request();
      if (!response.url().startsWith(base) || request.method() === "GET") {
        return;
      }
      pending.push((async () => {
        // Raw headers (with the cookie) are only reported for navigations.
        const headers = await request.allHeaders();
        seen.push({
          method: request.method(),
          url: response.url(),
          status: response.status(),
          from: headers.referer ? new URL(headers.referer).origin : "",
          navigation: request.resourceType() === "document",
          cookie: /etl_session=/.test(headers.cookie ?? ""),
        });
      })());
    });
    // Same site, other origin (another port of 127.0.0.1): the session
    // cookie goes along, so only the CSRF check stands in the way.
    // Cross-site (localhost vs 127.0.0.1): SameSite may also drop it.
    let expected = 0;
    const postsSeen = async (count: number) => {
      for (let i = 0; i < 100; i++) {
        if (seen.filter((s) => s.method === "POST").length >= count) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const origins = [
      { tag: "samesite", url: `http://127.0.0.1:${port}` },
      { tag: "crosssite", url: `http://localhost:${port}` },
    ];
    for (const origin of origins) {
      const tab = await context.newPage();
      await tab.goto(`${origin.url}/?tag=${origin.tag}`);
      await tab.waitForFunction(() => document.title === "done", null, {
        timeout: 20_000,
      });
      const results = await tab.evaluate(() =>
        (globalThis as unknown as { results: string[] }).results
      );
      // no-cors answers are opaque; the CORS one fails before it is sent.
      assert.deepEqual(results.slice(0, 4), [
        "opaque 0",
        "opaque 0",
        "opaque 0",
        "opaque 0",
      ]);
      assert.match(results[4], /^error /);
      // Wait (bounded) for the three form posts and four fetches to be answered.
      expected += 7;
      await postsSeen(expected);
      await tab.close();

      // A top-level form post: the browser leaves for the platform's answer.
      const top = await context.newPage();
      const answer = top.waitForResponse((r) =>
        r.url().startsWith(`${base}/connectors/new`) &&
        r.request().method() === "POST"
      );
      await top.goto(`${origin.url}/top?tag=${origin.tag}`);
      const response = await answer;
      assert.equal(response.status(), 403);
      assert.match(await response.text(), /Cross-site request refused/);
      await top.close();
      expected += 1;
      await postsSeen(expected);
    }
    await Promise.all(pending);
    const posts = seen.filter((s) => s.method === "POST");
    assert.equal(posts.length, 16, JSON.stringify(seen, null, 1));
    for (const post of posts) {
      assert.equal(post.status, 403, `${post.url} was not refused`);
    }
    // The same-site attacks did carry the session: the CSRF check alone
    // refused them.
    for (const origin of origins) {
      assert.equal(
        posts.filter((s) => s.from === origin.url).length,
        8,
        JSON.stringify(posts, null, 1),
      );
    }
    const sameSite = posts.filter((s) =>
      s.from === origins[0].url && s.navigation
    );
    assert.equal(sameSite.length, 4, JSON.stringify(posts, null, 1));
    assert.ok(
      sameSite.every((s) => s.cookie),
      `same-site requests carried the session cookie: ${
        JSON.stringify(sameSite, null, 1)
      }`,
    );
    assert.deepEqual(await snapshot(p), before, "the attacks changed nothing");

    // The platform's own pages post same-origin, and that works.
    const tab = await context.newPage();
    const problems: string[] = [];
    tab.on("pageerror", (error) => problems.push(error.message));
    await tab.goto(`${base}/connectors/new?kind=rest`);
    await tab.fill("#field-name", "made_in_browser");
    await tab.fill("#field-url", "http://127.0.0.1:9/x");
    await tab.click("#save-connector");
    await tab.waitForURL(/\/connectors\/\d+$/);
    const created = await tab.evaluate(async () => {
      const response = await fetch("/api/v1/pipelines", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          name: "fetched_in_browser",
          steps: [{
            id: "read",
            type: "extract",
            connector: "files",
            config: { path: "nothing.csv" },
          }],
        }),
      });
      return response.status;
    });
    assert.equal(created, 201);
    await tab.goto(`${base}/pipelines/${victim.id}`);
    await tab.click("#run-pipeline");
    await tab.waitForURL(/\/runs\/\d+$/);
    const runId = Number(new URL(tab.url()).pathname.split("/").pop());
    await p.waitForRun(runId);
    assert.deepEqual(problems, []);
    const db = p.services.db;
    assert.equal(
      (await db.query("select 1 from connector where name = 'made_in_browser'"))
        .length,
      1,
    );
    assert.equal(
      (await db.query(
        "select 1 from pipeline where name = 'fetched_in_browser'",
      )).length,
      1,
    );
    assert.equal(
      (await db.query(
        "select 1 from pipeline_run where pipeline_id = $1",
        [victim.id],
      )).length,
      1,
    );
  } finally {
    await browser.close();
  }
});
