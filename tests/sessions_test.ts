// Sessions, sign-in throttling and API tokens through real HTTP on a
// loopback port (so the client address is 127.0.0.1, as in production);
// the harness's in-process fetch, with no address ("local"), stands for a
// second client.

import assert from "node:assert/strict";
import { type Platform, startPlatform, TEST_PASSWORD } from "./harness.ts";
import { hashToken } from "../lib/auth/random_token.ts";
import { SESSION_IDLE_MS, SESSION_MAX_MS } from "../lib/auth/sessions.ts";
import { THROTTLE_WINDOW_MS } from "../lib/auth/sign_in_throttle.ts";

const HOUR = 60 * 60 * 1000;

/** A platform served on a loopback port, with real-fetch helpers. */
async function serve() {
  const p = await startPlatform();
  const base = await p.listen();
  /** A request over the network, as a browser or script would send it. */
  const http = async (
    path: string,
    init: RequestInit & { cookie?: string | null; json?: unknown } = {},
  ) => {
    const headers = new Headers(init.headers);
    if (init.cookie) headers.set("cookie", init.cookie);
    let body = init.body;
    if (init.json !== undefined) {
      headers.set("content-type", "application/json");
      body = JSON.stringify(init.json);
    }
    const response = await fetch(`${base}${path}`, {
      ...init,
      headers,
      body,
      redirect: "manual",
    });
    const text = await response.text();
    return { response, status: response.status, text };
  };
  /** Signs in over the network; returns the response and the new cookie. */
  const login = async (
    email: string,
    password = TEST_PASSWORD,
    cookie: string | null = null,
  ) => {
    const result = await http("/api/v1/auth/login", {
      method: "POST",
      json: { email, password },
      cookie,
    });
    const setCookie = result.response.headers.getSetCookie().find((c) =>
      c.startsWith("etl_session=")
    );
    return {
      ...result,
      setCookie,
      cookie: setCookie ? setCookie.split(";")[0] : null,
    };
  };
  /** The user a cookie or token authenticates as, or the status. */
  const me = async (auth: { cookie?: string; token?: string }) => {
    const result = await http("/api/v1/me", {
      cookie: auth.cookie,
      headers: auth.token ? { authorization: `Bearer ${auth.token}` } : {},
    });
    return result.status === 200 ? JSON.parse(result.text) : result.status;
  };
  return {
    p,
    base,
    http,
    login,
    me,
    [Symbol.asyncDispose]: () => p[Symbol.asyncDispose](),
  };
}

/** The session row of a cookie (`etl_session=…`). */
async function sessionRow(p: Platform, cookie: string) {
  const [row] = await p.services.db.query<{
    created_at: Date;
    last_seen_at: Date;
    expires_at: Date;
    ip: string;
  }>(
    "select created_at, last_seen_at, expires_at, ip from session where id_hash = $1",
    [await hashToken(cookie.slice("etl_session=".length))],
  );
  return row;
}

async function setSession(p: Platform, cookie: string, assignments: string) {
  await p.services.db.query(
    `update session set ${assignments} where id_hash = $1`,
    [await hashToken(cookie.slice("etl_session=".length))],
  );
}

Deno.test("signing in sets an HttpOnly, SameSite=Lax session cookie for /, not Secure over http", async () => {
  await using s = await serve();
  const user = await s.p.createUser("editor");
  const ok = await s.login(user.email);
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual(JSON.parse(ok.text).user, {
    id: user.id,
    email: user.email,
    role: "editor",
  });
  assert.ok(ok.setCookie, "no etl_session cookie");
  const attributes = ok.setCookie.split(";").slice(1).map((a) =>
    a.trim().toLowerCase()
  );
  assert.ok(attributes.includes("httponly"), ok.setCookie);
  assert.ok(attributes.includes("samesite=lax"), ok.setCookie);
  assert.ok(attributes.includes("path=/"), ok.setCookie);
  assert.ok(!attributes.includes("secure"), ok.setCookie);
  const value = ok.cookie!.slice("etl_session=".length);
  assert.ok(value.length >= 40, "the session token is too short");

  const who = await s.me({ cookie: ok.cookie! });
  assert.equal(who.id, user.id);
  assert.equal(who.via, "session");
  // The row remembers the real client address.
  assert.equal((await sessionRow(s.p, ok.cookie!)).ip, "127.0.0.1");
  // Only the hash is stored.
  const rows = await s.p.services.db.query("select * from session");
  assert.ok(!JSON.stringify(rows).includes(value));

  // Wrong password and unknown email: the same 401, and no cookie.
  for (
    const [email, password] of [
      [user.email, "wrong password!!"],
      ["nobody@example.test", TEST_PASSWORD],
    ]
  ) {
    const bad = await s.login(email, password);
    assert.equal(bad.status, 401);
    assert.equal(bad.setCookie, undefined);
    assert.equal(JSON.parse(bad.text).detail, "Wrong email or password");
  }
  // Emails are matched case-insensitively.
  assert.equal((await s.login(user.email.toUpperCase())).status, 200);
  // No cookie, no user.
  assert.equal(await s.me({}), 401);
});

Deno.test("signing in never keeps the session the browser came with (fixation)", async () => {
  await using s = await serve();
  const user = await s.p.createUser("viewer");

  // An attacker-chosen cookie authenticates nobody, and signing in with it
  // issues a different one.
  const planted = "etl_session=attacker-chosen-value-0123456789abcdef";
  assert.equal(await s.me({ cookie: planted }), 401);
  const first = await s.login(user.email, TEST_PASSWORD, planted);
  assert.equal(first.status, 200, first.text);
  assert.ok(first.cookie && first.cookie !== planted);
  assert.equal(await s.me({ cookie: planted }), 401);
  assert.equal((await s.me({ cookie: first.cookie })).id, user.id);

  // Signing in again with a valid cookie replaces it: the old one is dead.
  const second = await s.login(user.email, TEST_PASSWORD, first.cookie);
  assert.equal(second.status, 200, second.text);
  assert.ok(second.cookie && second.cookie !== first.cookie);
  assert.equal(await s.me({ cookie: first.cookie }), 401);
  assert.equal((await s.me({ cookie: second.cookie })).id, user.id);

  // Also when the browser's old session belonged to someone else.
  const other = await s.p.createUser("viewer");
  const third = await s.login(other.email, TEST_PASSWORD, second.cookie);
  assert.equal(third.status, 200);
  assert.equal(await s.me({ cookie: second.cookie }), 401);
  assert.equal((await s.me({ cookie: third.cookie! })).id, other.id);
});

Deno.test("an expired session is refused; use extends an idle one up to the absolute limit", async () => {
  await using s = await serve();
  const user = await s.p.createUser("operator");
  const { cookie } = await s.login(user.email);
  assert.ok(cookie);

  // A fresh session ends SESSION_IDLE after sign-in.
  const fresh = await sessionRow(s.p, cookie);
  const idleLeft = new Date(fresh.expires_at).getTime() - Date.now();
  assert.ok(Math.abs(idleLeft - SESSION_IDLE_MS) < 60_000, `${idleLeft}`);

  // Use after a while pushes the end back to SESSION_IDLE from now.
  await setSession(
    s.p,
    cookie,
    "last_seen_at = now() - interval '2 minutes', expires_at = now() + interval '1 minute'",
  );
  assert.equal((await s.me({ cookie })).id, user.id);
  const extended = await sessionRow(s.p, cookie);
  const left = new Date(extended.expires_at).getTime() - Date.now();
  assert.ok(Math.abs(left - SESSION_IDLE_MS) < 60_000, `${left}`);
  assert.ok(Date.now() - new Date(extended.last_seen_at).getTime() < 60_000);

  // …but never past SESSION_MAX after sign-in.
  await setSession(
    s.p,
    cookie,
    `created_at = now() - interval '${
      SESSION_MAX_MS / HOUR - 1
    } hours', last_seen_at = now() - interval '2 minutes'`,
  );
  assert.equal((await s.me({ cookie })).id, user.id);
  const capped = await sessionRow(s.p, cookie);
  const cappedEnd = new Date(capped.expires_at).getTime();
  assert.equal(
    cappedEnd,
    new Date(capped.created_at).getTime() + SESSION_MAX_MS,
  );
  assert.ok(cappedEnd - Date.now() < HOUR + 60_000);

  // Past its end, the session is refused: API 401, pages to the sign-in.
  await setSession(s.p, cookie, "expires_at = now() - interval '1 second'");
  assert.equal(await s.me({ cookie }), 401);
  const page = await s.http("/connectors", { cookie });
  assert.equal(page.status, 303);
  assert.equal(
    page.response.headers.get("location"),
    "/login?next=%2Fconnectors",
  );
  // And it is not revived by use.
  assert.equal(await s.me({ cookie }), 401);
});

Deno.test("sign-out ends only that session; sign-out everywhere ends them all", async () => {
  await using s = await serve();
  const user = await s.p.createUser("editor");
  const a = (await s.login(user.email)).cookie!;
  const b = (await s.login(user.email)).cookie!;
  assert.notEqual(a, b);

  const out = await s.http("/api/v1/auth/logout", {
    method: "POST",
    cookie: a,
  });
  assert.equal(out.status, 200, out.text);
  assert.deepEqual(JSON.parse(out.text), { ended: 1 });
  const cleared = out.response.headers.getSetCookie().find((c) =>
    c.startsWith("etl_session=")
  );
  assert.ok(cleared && /max-age=0/i.test(cleared), cleared);
  assert.equal(await s.me({ cookie: a }), 401);
  assert.equal((await s.me({ cookie: b })).id, user.id);
  // Signed out, the cookie can't sign out again.
  const again = await s.http("/api/v1/auth/logout", {
    method: "POST",
    cookie: a,
  });
  assert.equal(again.status, 401);

  // Everywhere: two more sessions, all of them end; the API token stays.
  const c = (await s.login(user.email)).cookie!;
  const d = (await s.login(user.email)).cookie!;
  const other = await s.p.createUser("editor");
  const theirs = (await s.login(other.email)).cookie!;
  const all = await s.http("/api/v1/auth/logout", {
    method: "POST",
    cookie: c,
    json: { everywhere: true },
  });
  assert.equal(all.status, 200, all.text);
  assert.deepEqual(JSON.parse(all.text), { ended: 3 });
  for (const cookie of [b, c, d]) assert.equal(await s.me({ cookie }), 401);
  assert.equal((await s.me({ token: user.token })).id, user.id);
  // Another user's session is untouched.
  assert.equal((await s.me({ cookie: theirs })).id, other.id);
});

Deno.test("deactivating a user ends their sessions and stops their tokens at once", async () => {
  await using s = await serve();
  const user = await s.p.createUser("editor");
  const cookie = (await s.login(user.email)).cookie!;
  assert.equal((await s.me({ cookie })).id, user.id);
  assert.equal((await s.me({ token: user.token })).id, user.id);

  const off = await s.p.fetch(`/api/v1/users/${user.id}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ active: false }),
  });
  assert.equal(off.status, 200, await off.text());
  assert.equal(await s.me({ cookie }), 401);
  const refused = await s.http("/api/v1/me", {
    headers: { authorization: `Bearer ${user.token}` },
  });
  assert.equal(refused.status, 401);
  assert.match(
    refused.response.headers.get("www-authenticate") ?? "",
    /^Bearer /,
  );
  // The right password no longer signs in (the same answer as a wrong one).
  const login = await s.login(user.email);
  assert.equal(login.status, 401);
  assert.equal(login.setCookie, undefined);
  const [{ n }] = await s.p.services.db.query<{ n: number }>(
    "select count(*)::int as n from session where user_id = $1",
    [user.id],
  );
  assert.equal(Number(n), 0);

  // Reactivated: the token works again; the ended session stays ended.
  const on = await s.p.fetch(`/api/v1/users/${user.id}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ active: true }),
  });
  assert.equal(on.status, 200, await on.text());
  assert.equal((await s.me({ token: user.token })).id, user.id);
  assert.equal(await s.me({ cookie }), 401);
  assert.equal((await s.login(user.email)).status, 200);
});

Deno.test("role and password changes apply at once; a cross-site request can't ride the cookie", async () => {
  await using s = await serve();
  const user = await s.p.createUser("editor");
  const cookie = (await s.login(user.email)).cookie!;
  const create = (name: string) =>
    s.http("/api/v1/connectors", {
      method: "POST",
      cookie,
      json: { name, kind: "csv", config: { path: "/nowhere.csv" } },
    });
  assert.equal((await create("while_editor")).status, 201);

  // Cross-site: refused before anything happens, and the session lives on.
  for (
    const headers of [
      { "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site" },
      { origin: "http://evil.example" },
    ] as Record<string, string>[]
  ) {
    const forged = await s.http("/api/v1/auth/logout", {
      method: "POST",
      cookie,
      headers,
    });
    assert.equal(forged.status, 403, JSON.stringify(headers));
    assert.equal((await s.me({ cookie })).id, user.id);
  }

  // Demoted: the same session is refused what a viewer may not do.
  const demote = await s.p.fetch(`/api/v1/users/${user.id}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ role: "viewer" }),
  });
  assert.equal(demote.status, 200, await demote.text());
  assert.equal((await create("while_viewer")).status, 403);
  assert.equal((await s.me({ cookie })).role, "viewer");
  assert.equal((await s.me({ token: user.token })).role, "viewer");

  // A new password ends the sessions; the old password no longer works.
  const newPassword = "a brand new passphrase";
  const change = await s.p.fetch(`/api/v1/users/${user.id}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ password: newPassword }),
  });
  assert.equal(change.status, 200, await change.text());
  assert.equal(await s.me({ cookie }), 401);
  assert.equal((await s.login(user.email)).status, 401);
  assert.equal((await s.login(user.email, newPassword)).status, 200);
});

Deno.test("five wrong passwords lock the account, not other accounts; a success clears the count", async () => {
  await using s = await serve();
  const victim = await s.p.createUser("editor");
  const bystander = await s.p.createUser("editor");
  const before = (await s.login(victim.email)).cookie!;
  for (let i = 0; i < 5; i++) {
    const wrong = await s.login(victim.email, `wrong password ${i}`);
    assert.equal(wrong.status, 401, `attempt ${i + 1}: ${wrong.text}`);
  }
  // The sixth attempt is refused even with the right password.
  const locked = await s.login(victim.email);
  assert.equal(locked.status, 429, locked.text);
  assert.equal(locked.setCookie, undefined);
  const retryAfter = Number(locked.response.headers.get("retry-after"));
  assert.ok(
    Number.isInteger(retryAfter) && retryAfter > 0 &&
      retryAfter <= THROTTLE_WINDOW_MS / 1000,
    `Retry-After: ${locked.response.headers.get("retry-after")}`,
  );
  // The account is locked from any address.
  const elsewhere = await s.p.fetch("/api/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "" },
    body: JSON.stringify({ email: victim.email, password: TEST_PASSWORD }),
  });
  assert.equal(elsewhere.status, 429);
  assert.ok(elsewhere.headers.get("retry-after"));
  // Other accounts sign in, from another address and from the same one.
  const other = await s.p.fetch("/api/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "" },
    body: JSON.stringify({ email: bystander.email, password: TEST_PASSWORD }),
  });
  assert.equal(other.status, 200, await other.text());
  assert.equal((await s.login(bystander.email)).status, 200);
  // A session the victim already had still works (throttling is about
  // guessing), and so does their API token.
  assert.equal((await s.me({ cookie: before })).id, victim.id);
  assert.equal((await s.me({ token: victim.token })).id, victim.id);

  // A success clears the account's count: 4 failures, success, 4 failures,
  // and the right password still works.
  const careless = await s.p.createUser("viewer");
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 4; i++) {
      assert.equal(
        (await s.login(careless.email, "not it at all")).status,
        401,
      );
    }
    const ok = await s.login(careless.email);
    assert.equal(ok.status, 200, `round ${round + 1}: ${ok.text}`);
  }
  // Throttled attempts are audited.
  const [{ n }] = await s.p.services.db.query<{ n: number }>(
    "select count(*)::int as n from audit_event where action = 'auth.sign_in_throttled'",
  );
  assert.ok(Number(n) >= 2);
});

Deno.test("parallel guesses get no more tries than sequential ones", async () => {
  await using s = await serve();
  const victim = await s.p.createUser("viewer");
  // A burst of 30 wrong passwords at once: at most 5 are checked at all.
  const burst = await Promise.all(
    Array.from({ length: 30 }, (_, i) => s.login(victim.email, `guess ${i}`)),
  );
  const statuses = burst.map((r) => r.status);
  const checked = statuses.filter((status) => status === 401).length;
  assert.ok(checked <= 5, `${checked} guesses were checked: ${statuses}`);
  assert.ok(statuses.every((status) => status === 401 || status === 429));
  // A burst may even be refused whole; the rest of the five come after.
  for (let i = checked; i < 5; i++) {
    assert.equal((await s.login(victim.email, "one more")).status, 401);
  }
  const locked = await s.login(victim.email);
  assert.equal(locked.status, 429, locked.text);
});

Deno.test("twenty failures from one address lock that address for every account", async () => {
  await using s = await serve();
  const user = await s.p.createUser("viewer");
  // Four failures on each of five accounts: no account reaches its limit.
  for (let account = 0; account < 5; account++) {
    for (let i = 0; i < 4; i++) {
      const wrong = await s.login(`guess${account}@example.test`, "guessing!!");
      assert.equal(wrong.status, 401, `account ${account}, attempt ${i + 1}`);
    }
  }
  const locked = await s.login(user.email);
  assert.equal(locked.status, 429, locked.text);
  assert.ok(Number(locked.response.headers.get("retry-after")) > 0);
  // The same account from another address is fine.
  const elsewhere = await s.p.fetch("/api/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "" },
    body: JSON.stringify({ email: user.email, password: TEST_PASSWORD }),
  });
  assert.equal(elsewhere.status, 200, await elsewhere.text());
});

Deno.test("API tokens: expired, revoked or malformed are refused with 401; only their hash is stored", async () => {
  await using s = await serve();
  const user = await s.p.createUser("editor");
  const cookie = (await s.login(user.email)).cookie!;
  const create = async (name: string) => {
    const created = await s.http("/api/v1/tokens", {
      method: "POST",
      cookie,
      json: { name, expiresInDays: 30 },
    });
    assert.equal(created.status, 201, created.text);
    return JSON.parse(created.text) as { id: number; token: string };
  };
  const bearer = (token: string) => ({
    headers: { authorization: `Bearer ${token}` },
  });
  const expectRefused = async (authorization: string, what: string) => {
    const result = await s.http("/api/v1/me", {
      headers: { authorization },
      cookie,
    });
    assert.equal(result.status, 401, `${what}: ${result.text}`);
    assert.match(
      result.response.headers.get("www-authenticate") ?? "",
      /^Bearer\b/,
      what,
    );
  };

  const expiring = await create("expiring");
  assert.match(expiring.token, /^etl_[A-Za-z0-9_-]{40,}$/);
  assert.equal(
    (await s.http("/api/v1/me", bearer(expiring.token))).status,
    200,
  );
  await s.p.services.db.query(
    "update api_token set expires_at = now() - interval '1 second' where id = $1",
    [expiring.id],
  );
  await expectRefused(`Bearer ${expiring.token}`, "expired");

  const revoked = await create("revoked");
  assert.equal((await s.http("/api/v1/me", bearer(revoked.token))).status, 200);
  const del = await s.http(`/api/v1/tokens/${revoked.id}`, {
    method: "DELETE",
    cookie,
  });
  assert.equal(del.status, 204, del.text);
  await expectRefused(`Bearer ${revoked.token}`, "revoked");
  const listed = JSON.parse((await s.http("/api/v1/tokens", { cookie })).text);
  assert.ok(
    listed.find((t: { id: number }) => t.id === revoked.id).revokedAt,
  );

  // A bad Authorization header is refused, even beside a valid cookie.
  const good = await create("good");
  for (
    const [header, what] of [
      ["Bearer", "no token"],
      [`Basic ${btoa(`${user.email}:${TEST_PASSWORD}`)}`, "basic auth"],
      [`Token ${good.token}`, "another scheme"],
      [`Bearer ${good.token} extra`, "two tokens"],
      [`Bearer ${good.token.slice(0, -1)}`, "truncated"],
      [`Bearer ${good.token}x`, "lengthened"],
      [`Bearer ${good.token.slice(4)}`, "without prefix"],
      ["Bearer etl_", "prefix only"],
      [`Bearer ${cookie.slice("etl_session=".length)}`, "a session token"],
    ]
  ) {
    await expectRefused(header, what);
  }
  assert.equal((await s.http("/api/v1/me", bearer(good.token))).status, 200);

  // Stored as a hash only: no column holds the token or its secret part.
  const rows = await s.p.services.db.query<Record<string, unknown>>(
    "select * from api_token",
  );
  const dump = JSON.stringify(rows);
  for (const { token } of [expiring, revoked, good]) {
    assert.ok(!dump.includes(token));
    assert.ok(!dump.includes(token.slice(10)));
  }
  const hashes = new Set(rows.map((row) => row.token_hash));
  assert.ok(hashes.has(await hashToken(good.token)));
});
