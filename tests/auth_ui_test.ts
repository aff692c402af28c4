// The account pages without JavaScript: sign-in (cookie flags, wrong
// credentials, throttling, open-redirect-safe `next`), sign-out, the setup
// link, API tokens and sign-out everywhere on /account, user administration,
// the audit page, and pages hiding what a role may not do.

import assert from "node:assert/strict";
import { type Platform, startPlatform, TEST_PASSWORD } from "./harness.ts";
import { ensureFirstAdmin } from "../lib/auth/first_admin.ts";
import { getUser } from "../lib/auth/users.ts";
import { listShares } from "../lib/rbac/shares.ts";
import { listAuditEvents } from "../lib/audit/audit_log.ts";

type Fetch = (path: string, init?: RequestInit) => Promise<Response>;

/** Fetches as a browser with `cookie` (or none), without an API token. */
function browser(p: Platform, cookie = ""): Fetch {
  return (path, init) => {
    const headers = new Headers(init?.headers);
    headers.set("authorization", "");
    if (cookie) headers.set("cookie", cookie);
    return p.fetch(path, { ...init, headers });
  };
}

/** Posts a form (a field given as a list is repeated). */
function post(
  fetch: Fetch,
  path: string,
  fields: Record<string, string | string[]>,
): Promise<Response> {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    for (const one of [value].flat()) body.append(name, one);
  }
  return fetch(path, { method: "POST", body });
}

/** The `name=value` of a response's session cookie. */
function cookieOf(response: Response): string {
  const header = response.headers.get("set-cookie") ?? "";
  const match = /^(etl_session=[^;]*)/.exec(header);
  assert.ok(match, `no session cookie in ${JSON.stringify(header)}`);
  return match[1];
}

async function signInForm(
  p: Platform,
  email: string,
  next = "/",
): Promise<string> {
  const response = await post(browser(p), "/login", {
    email,
    password: TEST_PASSWORD,
    next,
  });
  assert.equal(response.status, 303, await response.text());
  return cookieOf(response);
}

async function createConnector(fetch: Fetch, name: string): Promise<number> {
  const response = await fetch("/api/v1/connectors", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      name,
      kind: "postgres",
      config: {
        host: "127.0.0.1",
        database: "nowhere",
        user: "nobody",
        password: "Form-s3cret-5521",
      },
    }),
  });
  assert.equal(response.status, 201, await response.clone().text());
  return (await response.json()).id;
}

async function createPipeline(fetch: Fetch, name: string): Promise<number> {
  const response = await fetch("/api/v1/pipelines", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      name,
      steps: [
        {
          id: "read",
          type: "extract",
          connector: "warehouse",
          config: { table: "src" },
        },
        {
          id: "load",
          type: "load",
          needs: ["read"],
          connector: "warehouse",
          config: { table: "dst", mode: "append" },
        },
      ],
    }),
  });
  assert.equal(response.status, 201, await response.clone().text());
  return (await response.json()).id;
}

Deno.test("the login form sets an HttpOnly SameSite=Lax session cookie and goes to next", async () => {
  await using p = await startPlatform();
  const form = await browser(p)("/login?next=%2Fruns");
  assert.equal(form.status, 200);
  const html = await form.text();
  assert.match(html, /<input type="hidden" name="next" value="\/runs"/);
  assert.match(
    html,
    /name="password"[^>]*type="password"|type="password"[^>]*name="password"/,
  );
  assert.doesNotMatch(html, /href="\/connectors"/, "no nav when signed out");

  const response = await post(browser(p), "/login", {
    email: "  Admin@Example.TEST ",
    password: TEST_PASSWORD,
    next: "/runs",
  });
  assert.equal(response.status, 303);
  assert.equal(response.headers.get("location"), "/runs");
  const setCookie = response.headers.get("set-cookie")!;
  assert.match(setCookie, /^etl_session=[\w-]{20,};/);
  assert.match(setCookie, /; HttpOnly/);
  assert.match(setCookie, /; SameSite=Lax/);
  assert.match(setCookie, /; Path=\//);
  assert.doesNotMatch(setCookie, /Secure/, "plain http here");

  const cookie = cookieOf(response);
  const runs = await browser(p, cookie)("/runs");
  assert.equal(runs.status, 200);
  const page = await runs.text();
  assert.match(page, /id="nav-account"[^>]*>admin@example\.test</);
  assert.match(page, /<form method="post" action="\/logout">/);
  // Signed in already: /login goes home.
  const again = await browser(p, cookie)("/login");
  assert.equal(again.status, 303);
  assert.equal(again.headers.get("location"), "/");
  const [event] = await listAuditEvents(p.services.db, {
    action: "auth.sign_in",
  });
  assert.equal(event.actor, "admin@example.test");
});

Deno.test("wrong password and unknown email both answer 401 Wrong email or password", async () => {
  await using p = await startPlatform();
  for (const email of ["admin@example.test", "nobody@example.test"]) {
    const response = await post(browser(p), "/login", {
      email,
      password: "not the password at all",
      next: "/runs",
    });
    assert.equal(response.status, 401, email);
    assert.equal(response.headers.get("set-cookie"), null);
    const html = await response.text();
    assert.match(html, /id="sign-in-error"[^>]*>Wrong email or password</);
    // The email stays typed; the password does not come back.
    assert.match(html, new RegExp(`value="${email.replace(".", "\\.")}"`));
    assert.doesNotMatch(html, /not the password at all/);
  }
});

Deno.test("too many wrong passwords get 429 with the wait, even with the right one", async () => {
  await using p = await startPlatform();
  for (let i = 0; i < 5; i++) {
    const wrong = await post(browser(p), "/login", {
      email: "admin@example.test",
      password: `wrong password ${i}`,
    });
    assert.equal(wrong.status, 401);
  }
  const response = await post(browser(p), "/login", {
    email: "admin@example.test",
    password: TEST_PASSWORD,
  });
  assert.equal(response.status, 429);
  assert.ok(Number(response.headers.get("retry-after")) > 0);
  assert.equal(response.headers.get("set-cookie"), null);
  assert.match(
    await response.text(),
    /Too many failed sign-ins: try again in \d+ minutes?/,
  );
});

Deno.test("next= never leads off the site: open-redirect attempts go to /", async () => {
  await using p = await startPlatform();
  const attempts = [
    "//evil.example",
    "https://evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    "evil.example",
    "",
  ];
  for (const next of attempts) {
    const response = await post(browser(p), "/login", {
      email: "admin@example.test",
      password: TEST_PASSWORD,
      next,
    });
    assert.equal(response.status, 303, JSON.stringify(next));
    assert.equal(response.headers.get("location"), "/", JSON.stringify(next));
    const form = await browser(p)(`/login?next=${encodeURIComponent(next)}`);
    assert.match(
      await form.text(),
      /name="next" value="\/"/,
      JSON.stringify(next),
    );
  }
  // A local path with a query string is kept as it is.
  const local = await post(browser(p), "/login", {
    email: "admin@example.test",
    password: TEST_PASSWORD,
    next: "/runs?page=2",
  });
  assert.equal(local.headers.get("location"), "/runs?page=2");
});

Deno.test("an unauthenticated page visit is sent to /login with next", async () => {
  await using p = await startPlatform();
  const response = await browser(p)("/runs?status=FAILURE");
  assert.equal(response.status, 303);
  assert.equal(
    response.headers.get("location"),
    `/login?next=${encodeURIComponent("/runs?status=FAILURE")}`,
  );
});

Deno.test("Sign out ends this session, clears the cookie and lands on /login", async () => {
  await using p = await startPlatform();
  const cookie = await signInForm(p, "admin@example.test");
  const other = await p.admin.sessionCookie();
  const response = await post(browser(p, cookie), "/logout", {});
  assert.equal(response.status, 303);
  assert.equal(response.headers.get("location"), "/login");
  assert.match(
    response.headers.get("set-cookie")!,
    /^etl_session=;.*Max-Age=0/,
  );
  const after = await browser(p, cookie)("/runs");
  assert.equal(after.status, 303);
  assert.match(after.headers.get("location")!, /^\/login\?next=/);
  // Only this session ended.
  assert.equal((await browser(p, other)("/runs")).status, 200);
  // No GET: a link or a prefetch can't sign anyone out.
  assert.equal((await browser(p, other)("/logout")).status, 405);
  const [event] = await listAuditEvents(p.services.db, {
    action: "auth.sign_out",
  });
  assert.equal(event.actor, "admin@example.test");
  assert.deepEqual(event.detail, { sessions: 1 });
});

Deno.test("the setup link creates the first admin and signs them in, once", async () => {
  await using p = await startPlatform();
  const { db } = p.services;
  await db.query("delete from app_user");
  const link = await ensureFirstAdmin(db, {});
  assert.equal(link.kind, "setup-link");
  if (link.kind !== "setup-link") return;
  const url = `/setup?token=${link.token}`;

  const form = await browser(p)(url);
  assert.equal(form.status, 200);
  assert.match(await form.text(), /id="setup-form"/);

  const fields = {
    token: link.token,
    email: "Root@Example.test",
    name: "Root",
    password: "a long enough password",
    confirm: "a long enough password",
  };
  const mismatch = await post(browser(p), "/setup", {
    ...fields,
    confirm: "something else entirely",
  });
  assert.equal(mismatch.status, 422);
  assert.match(
    await mismatch.text(),
    /data-error-for="confirm">does not match the password/,
  );
  const short = await post(browser(p), "/setup", {
    ...fields,
    password: "short",
    confirm: "short",
  });
  assert.equal(short.status, 422);
  assert.match(await short.text(), /data-error-for="password"/);

  const created = await post(browser(p), "/setup", fields);
  assert.equal(created.status, 303);
  assert.equal(created.headers.get("location"), "/");
  const home = await browser(p, cookieOf(created))("/");
  assert.equal(home.status, 200);
  assert.match(await home.text(), /id="nav-account"[^>]*>root@example\.test</);
  const [admin] = await db.query<{ role: string }>(
    "select role from app_user where email = 'root@example.test'",
  );
  assert.equal(admin.role, "admin");

  for (const path of [url, "/setup?token=made-up", "/setup"]) {
    const gone = await browser(p)(path);
    assert.equal(gone.status, 410, path);
    const html = await gone.text();
    assert.match(html, /restart the server/);
    assert.match(html, /ETL_ADMIN_EMAIL/);
  }
  const reused = await post(browser(p), "/setup", {
    ...fields,
    email: "second@example.test",
  });
  assert.equal(reused.status, 410);
});

Deno.test("a new API token is shown once on /account, then only its prefix; revoke stops it", async () => {
  await using p = await startPlatform();
  const user = await p.createUser("operator");
  const cookie = await signInForm(p, user.email);
  const as = browser(p, cookie);

  const account = await (await as("/account")).text();
  assert.match(account, /id="account-email">operator\d+@example\.test</);
  assert.match(account, /id="account-role">operator</);

  const invalid = await post(as, "/account", {
    _action: "create-token",
    name: "",
    expiresInDays: "0",
  });
  assert.equal(invalid.status, 422);
  const invalidHtml = await invalid.text();
  assert.match(invalidHtml, /data-error-for="name"/);
  assert.match(invalidHtml, /data-error-for="expiresInDays"/);

  const created = await post(as, "/account", {
    _action: "create-token",
    name: "ci-deploy",
    expiresInDays: "30",
  });
  assert.equal(created.status, 201);
  assert.equal(created.headers.get("cache-control"), "no-store");
  const html = await created.text();
  const token = /id="new-token-value">(etl_[\w-]+)</.exec(html)?.[1];
  assert.ok(token, "the token is on the page that created it");
  assert.match(html, /shown only this once/);

  const me = await p.fetch("/api/v1/me", {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(me.status, 200);
  assert.equal((await me.json()).email, user.email);

  const later = await (await as("/account")).text();
  assert.ok(!later.includes(token), "never shown again");
  assert.ok(later.includes(`${token.slice(0, 10)}…`), "its prefix is");
  const row = new RegExp(
    `<tr data-token="(\\d+)"><td>ci-deploy</td>.*?</tr>`,
    "s",
  ).exec(later);
  assert.ok(row, "listed with its name");
  assert.match(row[0], /Revoke/);
  const tokenId = row[1];

  // Another user's token id is "not found", and stays valid.
  const otherToken = await p.fetch("/api/v1/tokens").then((r) => r.json());
  const notMine = await post(as, "/account", {
    _action: "revoke-token",
    token: String(otherToken[0].id),
  });
  assert.equal(notMine.status, 404);
  assert.equal((await p.fetch("/api/v1/me")).status, 200);

  const revoked = await post(as, "/account", {
    _action: "revoke-token",
    token: tokenId,
  });
  assert.equal(revoked.status, 303);
  assert.equal(revoked.headers.get("location"), "/account?revoked");
  const gone = await p.fetch("/api/v1/me", {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(gone.status, 401);
  const after = await (await as("/account?revoked")).text();
  assert.match(after, /id="revoked"/);
  const revokedRow = new RegExp(`<tr data-token="${tokenId}">.*?</tr>`, "s")
    .exec(after)![0];
  assert.doesNotMatch(revokedRow, /Revoke/);
  const actions = (await listAuditEvents(p.services.db, { action: "token." }))
    .map((e) => `${e.action} ${e.actor}`);
  assert.deepEqual(actions, [
    `token.revoke ${user.email}`,
    `token.create ${user.email}`,
  ]);
});

Deno.test("Sign out everywhere ends every session of the user, not their tokens", async () => {
  await using p = await startPlatform();
  const user = await p.createUser("viewer");
  const first = await signInForm(p, user.email);
  const second = await user.sessionCookie();
  const response = await post(browser(p, first), "/account", {
    _action: "sign-out-everywhere",
  });
  assert.equal(response.status, 303);
  assert.equal(response.headers.get("location"), "/login");
  assert.match(response.headers.get("set-cookie")!, /Max-Age=0/);
  for (const cookie of [first, second]) {
    assert.equal((await browser(p, cookie)("/runs")).status, 303);
  }
  assert.equal((await user.fetch("/api/v1/me")).status, 200);
  const [event] = await listAuditEvents(p.services.db, {
    action: "auth.sign_out_everywhere",
  });
  assert.deepEqual(event.detail, { sessions: 2 });
});

Deno.test("an admin creates a user, changes their role and deactivates them; their token then gets 401", async () => {
  await using p = await startPlatform();
  const list = await (await p.fetch("/admin/users")).text();
  assert.match(list, /data-user="admin@example\.test"/);
  assert.match(list, /<select name="role"/);

  const fields = {
    email: "Dana@Example.test",
    name: "Dana",
    role: "viewer",
    password: TEST_PASSWORD,
  };
  const short = await post(p.fetch, "/admin/users", {
    ...fields,
    password: "short",
  });
  assert.equal(short.status, 422);
  const shortHtml = await short.text();
  assert.match(shortHtml, /data-error-for="password"/);
  assert.match(shortHtml, /value="Dana@Example.test"/, "the form keeps input");

  const created = await post(p.fetch, "/admin/users", fields);
  assert.equal(created.status, 303);
  const location = created.headers.get("location")!;
  const id = Number(/^\/admin\/users\/(\d+)\?created$/.exec(location)?.[1]);
  assert.ok(id > 0, location);
  const page = await (await p.fetch(location)).text();
  assert.match(page, /id="user-email">dana@example\.test</);
  assert.match(page, /User created/);

  const taken = await post(p.fetch, "/admin/users", fields);
  assert.equal(taken.status, 409);
  assert.match(await taken.text(), /data-error-for="email">already has/);

  // Dana signs in and makes a token.
  const cookie = await signInForm(p, "dana@example.test");
  const made = await post(browser(p, cookie), "/account", {
    _action: "create-token",
    name: "laptop",
  });
  const token =
    /id="new-token-value">(etl_[\w-]+)</.exec(await made.text())![1];
  const asDana = { headers: { authorization: `Bearer ${token}` } };
  assert.equal((await p.fetch("/api/v1/me", asDana)).status, 200);

  const promoted = await post(p.fetch, `/admin/users/${id}`, {
    _action: "update",
    name: "Dana S.",
    role: "editor",
    active: "on",
  });
  assert.equal(promoted.status, 303);
  assert.equal((await getUser(p.services.db, id))?.role, "editor");
  assert.equal(
    (await p.fetch("/api/v1/me", asDana).then((r) => r.json()))
      .role,
    "editor",
  );

  const mismatch = await post(p.fetch, `/admin/users/${id}`, {
    _action: "password",
    password: "another long password",
    confirm: "not the same one",
  });
  assert.equal(mismatch.status, 422);
  const newPassword = await post(p.fetch, `/admin/users/${id}`, {
    _action: "password",
    password: "another long password",
    confirm: "another long password",
  });
  assert.equal(newPassword.status, 303);
  assert.equal(
    (await browser(p, cookie)("/runs")).status,
    303,
    "a new password ends the sessions",
  );

  const deactivated = await post(p.fetch, `/admin/users/${id}`, {
    _action: "update",
    name: "Dana S.",
    role: "editor",
  });
  assert.equal(deactivated.status, 303);
  assert.equal((await getUser(p.services.db, id))?.active, false);
  assert.equal((await p.fetch("/api/v1/me", asDana)).status, 401);
  const signIn = await post(browser(p), "/login", {
    email: "dana@example.test",
    password: "another long password",
  });
  assert.equal(signIn.status, 401);
  const users = await (await p.fetch("/admin/users")).text();
  assert.match(
    users,
    /data-user="dana@example\.test">.*?<td class="role">editor<\/td><td class="active">no<\/td>/s,
  );

  const trail = (await listAuditEvents(p.services.db, { targetType: "user" }))
    .map((e) => [e.action, e.actor, e.targetId, e.detail]);
  assert.deepEqual(trail, [
    ["user.deactivate", "admin@example.test", String(id), {
      active: false,
      passwordChanged: false,
    }],
    ["user.update", "admin@example.test", String(id), {
      passwordChanged: true,
    }],
    ["user.update", "admin@example.test", String(id), {
      name: "Dana S.",
      role: "editor",
      passwordChanged: false,
    }],
    ["user.create", "admin@example.test", String(id), { role: "viewer" }],
  ]);
});

Deno.test("the last active admin cannot be demoted or deactivated: 409 with the reason", async () => {
  await using p = await startPlatform();
  const changes: Record<string, string>[] = [
    { role: "viewer", active: "on" },
    { role: "admin" },
  ];
  for (const fields of changes) {
    const response = await post(p.fetch, `/admin/users/${p.admin.id}`, {
      _action: "update",
      name: "admin 1",
      ...fields,
    });
    assert.equal(response.status, 409);
    assert.match(
      await response.text(),
      /id="refused"[^>]*>.*last active admin/,
    );
  }
  const admin = await getUser(p.services.db, p.admin.id);
  assert.equal(admin?.role, "admin");
  assert.equal(admin?.active, true);
});

Deno.test("the nav and pages show each role only what it may do", async () => {
  await using p = await startPlatform();
  const editor = await p.createUser("editor");
  const connectorId = await createConnector(editor.fetch, "editors_pg");
  const pipelineId = await createPipeline(editor.fetch, "editors_copy");
  const viewer = await p.createUser("viewer");
  const operator = await p.createUser("operator");
  const stranger = await p.createUser("editor");

  const home = async (fetch: Fetch) => await (await fetch("/")).text();
  const admin = await home(p.fetch);
  for (
    const link of ["/load-csv", "/admin/users", "/admin/audit", "/account"]
  ) {
    assert.match(admin, new RegExp(`href="${link}"`), link);
  }
  const viewerHome = await home(viewer.fetch);
  assert.match(viewerHome, /id="nav-account"[^>]*>viewer\d+@example\.test</);
  assert.match(viewerHome, /href="\/runs"/);
  for (const link of ["/load-csv", "/admin/users", "/admin/audit"]) {
    assert.doesNotMatch(viewerHome, new RegExp(`href="${link}"`), link);
  }
  assert.match(await home(editor.fetch), /href="\/load-csv"/);
  assert.doesNotMatch(await home(editor.fetch), /href="\/admin\/users"/);
  assert.equal((await viewer.fetch("/admin/users")).status, 403);
  assert.equal((await editor.fetch("/admin/audit")).status, 403);

  const list = async (fetch: Fetch) =>
    await (await fetch("/connectors")).text();
  assert.match(await list(editor.fetch), /id="new-connector"/);
  assert.doesNotMatch(await list(viewer.fetch), /id="new-connector"/);
  assert.doesNotMatch(await list(operator.fetch), /id="new-connector"/);
  assert.match(
    await list(editor.fetch),
    /data-connector="editors_pg".*?>Edit</s,
  );
  assert.match(
    await list(stranger.fetch),
    /data-connector="editors_pg".*?>Open</s,
  );

  const connectorPage = async (fetch: Fetch) => {
    const response = await fetch(`/connectors/${connectorId}`);
    assert.equal(response.status, 200);
    const html = await response.text();
    return {
      html,
      edit: /id="delete-connector"/.test(html) &&
        /name="config\.host"/.test(html),
      use: /id="test-connection"/.test(html) &&
        /id="browse-schema"/.test(html) && /id="preview"/.test(html),
      share: /id="share-form"/.test(html),
    };
  };
  const seen = {
    owner: await connectorPage(editor.fetch),
    admin: await connectorPage(p.fetch),
    operator: await connectorPage(operator.fetch),
    viewer: await connectorPage(viewer.fetch),
    stranger: await connectorPage(stranger.fetch),
  };
  const rights = Object.fromEntries(
    Object.entries(seen).map(([who, s]) => [who, [s.edit, s.use, s.share]]),
  );
  assert.deepEqual(rights, {
    owner: [true, true, true],
    admin: [true, true, true],
    operator: [false, true, false],
    viewer: [false, false, false],
    stranger: [false, false, false],
  });
  for (const { html } of Object.values(seen)) {
    assert.match(html, new RegExp(`id="owner">${editor.email}<`));
  }
  assert.doesNotMatch(seen.viewer.html, /name="config\.password"/);

  const pipelinePage = async (fetch: Fetch) => {
    const response = await fetch(`/pipelines/${pipelineId}`);
    assert.equal(response.status, 200);
    return await response.text();
  };
  const runNow = /id="run-pipeline"/;
  assert.match(await pipelinePage(editor.fetch), runNow);
  assert.match(await pipelinePage(operator.fetch), runNow);
  assert.match(await pipelinePage(p.fetch), runNow);
  assert.doesNotMatch(await pipelinePage(viewer.fetch), runNow);
  assert.doesNotMatch(await pipelinePage(stranger.fetch), runNow);
  assert.match(
    await pipelinePage(viewer.fetch),
    new RegExp(`id="owner">${editor.email}<`),
  );
  // What is hidden is refused too.
  assert.equal(
    (await post(viewer.fetch, `/pipelines/${pipelineId}`, {})).status,
    403,
  );
});

Deno.test("the owner shares a connector through its page; the editor may then edit it", async () => {
  await using p = await startPlatform();
  const owner = await p.createUser("editor");
  const colleague = await p.createUser("editor");
  const viewer = await p.createUser("viewer");
  const id = await createConnector(owner.fetch, "shared_pg");
  const before = await (await owner.fetch(`/connectors/${id}`)).text();
  assert.match(before, /id="shared-with">\s*Nobody/);
  assert.match(before, new RegExp(`name="user" value="${colleague.id}"`));
  assert.doesNotMatch(
    before,
    new RegExp(`name="user" value="${owner.id}"`),
    "the owner is not offered",
  );
  assert.doesNotMatch(
    await (await colleague.fetch(`/connectors/${id}`)).text(),
    /name="config\.host"/,
  );

  const shared = await post(owner.fetch, `/connectors/${id}`, {
    _action: "share",
    user: [String(colleague.id), String(viewer.id)],
  });
  assert.equal(shared.status, 303);
  assert.equal(shared.headers.get("location"), `/connectors/${id}?shared`);
  assert.deepEqual(
    (await listShares(p.services.db, "connector", id)).map((s) => s.userId)
      .sort(),
    [colleague.id, viewer.id].sort(),
  );
  const after = await (await owner.fetch(`/connectors/${id}?shared`)).text();
  assert.match(after, new RegExp(`<li>${colleague.email}</li>`));
  assert.match(
    after,
    new RegExp(`name="user" value="${colleague.id}" checked`),
  );

  const colleaguePage = await (await colleague.fetch(`/connectors/${id}`))
    .text();
  assert.match(colleaguePage, /name="config\.host"/);
  assert.match(colleaguePage, /id="test-connection"/);
  assert.doesNotMatch(colleaguePage, /id="share-form"/, "only owner or admin");
  // A share gives a viewer nothing their role lacks.
  assert.doesNotMatch(
    await (await viewer.fetch(`/connectors/${id}`)).text(),
    /name="config\.host"|id="test-connection"/,
  );
  // Only its owner (or an admin) may share it: not a viewer, nor the editor
  // it is shared with.
  for (const user of [viewer, colleague]) {
    const refused = await post(user.fetch, `/connectors/${id}`, {
      _action: "share",
      user: [],
    });
    assert.equal(refused.status, 403, user.email);
  }
  assert.equal(
    (await listShares(p.services.db, "connector", id)).length,
    2,
    "nothing changed",
  );

  const unshared = await post(owner.fetch, `/connectors/${id}`, {
    _action: "share",
  });
  assert.equal(unshared.status, 303);
  assert.deepEqual(await listShares(p.services.db, "connector", id), []);
  const bad = await post(owner.fetch, `/connectors/${id}`, {
    _action: "share",
    user: "999999",
  });
  assert.equal(bad.status, 422);

  // Built-ins are everyone's: nothing to share, even for an admin.
  const [warehouse] = await p.services.db.query<{ id: number }>(
    "select id from connector where name = 'warehouse'",
  );
  const builtin = await (await p.fetch(`/connectors/${warehouse.id}`)).text();
  assert.match(builtin, /id="shared-with">Everyone/);
  assert.doesNotMatch(builtin, /id="share-form"/);

  const events = await listAuditEvents(p.services.db, {
    action: "connector.share",
  });
  assert.deepEqual(events.map((e) => [e.actor, e.targetId, e.detail]), [
    [owner.email, String(id), { userIds: [] }],
    [owner.email, String(id), {
      // Listed by email, as listShares() orders them.
      userIds: [colleague, viewer].sort((a, b) => a.email < b.email ? -1 : 1)
        .map((user) => user.id),
    }],
  ]);
});

Deno.test("the audit page filters by actor, action, target and time, pages with Older, and names an invalid filter", async () => {
  await using p = await startPlatform();
  const viewer = await p.createUser("viewer");
  await signInForm(p, viewer.email);
  await post(browser(p), "/login", {
    email: viewer.email,
    password: "wrong password here",
  });
  await post(p.fetch, "/admin/users", {
    email: "eve@example.test",
    role: "viewer",
    password: TEST_PASSWORD,
  });

  const rows = async (query: string) => {
    const response = await p.fetch(`/admin/audit?${query}`);
    assert.equal(response.status, 200, query);
    const html = await response.text();
    return {
      html,
      actions: [...html.matchAll(/data-action="([^"]+)"/g)].map((m) => m[1]),
    };
  };
  const all = await rows("");
  assert.ok(all.actions.includes("auth.sign_in"));
  assert.ok(all.actions.includes("user.create"));
  assert.match(all.html, /id="audit-filters"/);

  const auth = await rows("action=auth.");
  assert.deepEqual(auth.actions, ["auth.sign_in_failed", "auth.sign_in"]);
  assert.match(auth.html, /bad credentials/, "the detail JSON is shown");
  assert.match(auth.html, /value="auth\."/, "the form keeps the filter");

  const byActor = await rows(
    `actor=${encodeURIComponent(viewer.email.slice(0, 7))}&action=auth.sign_in`,
  );
  assert.deepEqual(byActor.actions, ["auth.sign_in"]);

  const created = await rows("target_type=user&action=user.create");
  assert.deepEqual(created.actions, ["user.create"]);
  const [eve] = await p.services.db.query<{ id: number }>(
    "select id from app_user where email = 'eve@example.test'",
  );
  assert.match(
    created.html,
    new RegExp(`href="/admin/users/${eve.id}">user ${eve.id}</a>`),
  );
  assert.deepEqual(
    (await rows(`target_type=user&target_id=${eve.id}`)).actions,
    ["user.create"],
  );
  const future = new Date(Date.now() + 86_400_000).toISOString();
  assert.deepEqual((await rows(`since=${future}`)).actions, []);
  assert.match((await rows(`since=${future}`)).html, /id="no-events"/);
  assert.equal(
    (await rows(`until=${future}&since=2000-01-01`)).actions.length,
    all.actions.length,
  );

  const first = await rows("limit=1");
  assert.equal(first.actions.length, 1);
  const older = /href="\/admin\/audit\?([^"]*)" id="older"/.exec(first.html);
  assert.ok(older, "an Older link");
  const href = older[1].replaceAll("&amp;", "&");
  assert.match(href, /limit=1/);
  assert.match(href, /before=\d+/);
  const second = await rows(href);
  assert.equal(second.actions.length, 1);
  assert.equal(second.actions[0], all.actions[1]);

  const invalid = await p.fetch("/admin/audit?since=yesterday&actor=x");
  assert.equal(invalid.status, 422);
  const html = await invalid.text();
  assert.match(html, /data-error-for="since">since: /);
  assert.match(html, /id="filter-since"[^>]*aria-invalid="true"/);
  assert.equal((await p.fetch("/admin/audit?before=-3")).status, 422);
});
