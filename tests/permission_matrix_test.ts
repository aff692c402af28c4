// The permission matrix: every route × method the app serves (HEAD is GET)
// × every role and anonymous × owner / non-owner / shared-with for routes
// that name a connector, pipeline or run, checked against expectations
// written here from the rules of issue 6, not read from ROUTE_POLICIES.
// A route this table does not describe fails the test, so none can escape.
// Then IDOR attempts: an editor reaching for another editor's things.

import assert from "node:assert/strict";
import { type Platform, startPlatform, TEST_PASSWORD } from "./harness.ts";
import { createApp } from "../app.ts";
import type { Principal, Role } from "../lib/auth/principal.ts";
import { createApiToken } from "../lib/auth/api_tokens.ts";
import { createConnector } from "../lib/connector/connector_store.ts";
import { savePipeline } from "../lib/pipeline/pipeline_store.ts";
import type { PipelineDefinition } from "../lib/pipeline/pipeline_schema.ts";
import { startPipelineRun } from "../lib/engine/start_run.ts";
import { setShares } from "../lib/rbac/shares.ts";

// ---------------------------------------------------------------------------
// Expectations, from the rules (not from lib/rbac):
// - admin may do everything;
// - editor creates connectors and pipelines; edits, uses, runs and cancels
//   only what they own or what is shared with them;
// - operator runs and cancels any pipeline and uses any connector (test,
//   schema, preview) but creates and edits nothing;
// - viewer reads only;
// - everyone signed in manages their own tokens, sessions and account;
// - users, audit and key rotation are admin only;
// - health, sign-in, setup and island bundles are public.

/** Who may make a request. */
type Access =
  /** Anyone, signed in or not. */
  | "public"
  /** Any signed-in user (reading, one's own account and tokens). */
  | "signedIn"
  /** Admins only. */
  | "admin"
  /** Admins and editors (creating connectors and pipelines). */
  | "create"
  /** Admins; editors on what they own or what is shared with them. */
  | "edit"
  /** Admins; editors only on what they own (sharing isn't passed on). */
  | "share"
  /** Admins and operators on anything; editors on own or shared. */
  | "operate";

/** Every route × method of the app and who may call it. */
const EXPECTED: Record<string, Access> = {
  // Public.
  "GET /_frsh/js/:buildId/:file*": "public",
  "GET /api/v1/health": "public",
  "GET /api/v1/schema/pipeline.json": "public",
  "GET /api/v1/openapi.json": "public",
  "POST /api/v1/auth/login": "public",
  "GET /login": "public",
  "POST /login": "public",
  "GET /setup": "public",
  "POST /setup": "public",

  // One's own session, account and tokens.
  "POST /logout": "signedIn",
  "POST /api/v1/auth/logout": "signedIn",
  "GET /account": "signedIn",
  "POST /account": "signedIn",
  "GET /api/v1/me": "signedIn",
  "GET /api/v1/tokens": "signedIn",
  "POST /api/v1/tokens": "signedIn",
  "DELETE /api/v1/tokens/:id": "signedIn",

  // Administration.
  "GET /api/v1/users": "admin",
  "POST /api/v1/users": "admin",
  "GET /api/v1/users/:id": "admin",
  "PUT /api/v1/users/:id": "admin",
  "GET /api/v1/audit": "admin",
  "POST /api/v1/admin/rotate-key": "admin",
  "GET /admin/users": "admin",
  "POST /admin/users": "admin",
  "GET /admin/users/:id": "admin",
  "POST /admin/users/:id": "admin",
  "GET /admin/audit": "admin",

  // Reading (never secrets) is for everyone signed in.
  "GET /": "signedIn",
  "GET /connectors": "signedIn",
  "GET /connectors/:id": "signedIn",
  "GET /pipelines": "signedIn",
  "GET /pipelines/:id": "signedIn",
  "GET /pipelines/:id/versions": "signedIn",
  "GET /pipelines/:id/diff": "signedIn",
  "GET /api/v1/pipelines/:id/export": "signedIn",
  "GET /api/v1/pipelines/:id/versions": "signedIn",
  "GET /api/v1/pipelines/:id/versions/:version": "signedIn",
  "GET /api/v1/pipelines/:id/diff": "signedIn",
  "GET /runs": "signedIn",
  "GET /runs/:id": "signedIn",
  "GET /api/v1/connector-kinds": "signedIn",
  "GET /api/v1/connectors": "signedIn",
  "GET /api/v1/connectors/:id": "signedIn",
  "GET /api/v1/connectors/:id/shares": "signedIn",
  "GET /api/v1/pipelines": "signedIn",
  "GET /api/v1/pipelines/:id": "signedIn",
  "GET /api/v1/pipelines/:id/shares": "signedIn",
  "GET /api/v1/runs": "signedIn",
  "GET /api/v1/runs/:id": "signedIn",
  "GET /api/v1/runs/:id/events": "signedIn",
  "GET /api/v1/runs/:id/tasks/:taskId/logs": "signedIn",

  // Connectors.
  "GET /connectors/new": "create",
  "POST /connectors/new": "create",
  "POST /api/v1/connectors": "create",
  // The connector page's form saves and deletes (its Test button too).
  "POST /connectors/:id": "edit",
  "PUT /api/v1/connectors/:id": "edit",
  "DELETE /api/v1/connectors/:id": "edit",
  "PUT /api/v1/connectors/:id/shares": "share",
  "GET /connectors/:id/schema": "operate",
  "GET /connectors/:id/preview": "operate",
  "POST /api/v1/connectors/:id/test": "operate",
  "GET /api/v1/connectors/:id/schema": "operate",
  "POST /api/v1/connectors/:id/preview": "operate",

  // Pipelines and runs. A CSV load saves a pipeline, so it is creating.
  "GET /load-csv": "create",
  "POST /load-csv": "create",
  "POST /api/v1/uploads": "create",
  "POST /api/v1/csv-loads": "create",
  "POST /api/v1/pipelines": "create",
  "GET /pipelines/new": "create",
  "POST /pipelines/new": "create",
  "PUT /api/v1/pipelines/:id": "edit",
  "DELETE /api/v1/pipelines/:id": "edit",
  "POST /api/v1/pipelines/:id/rollback": "edit",
  "GET /pipelines/:id/edit": "edit",
  "POST /pipelines/:id/edit": "edit",
  "POST /pipelines/:id/rollback": "edit",
  "PUT /api/v1/pipelines/:id/shares": "share",
  "POST /pipelines/:id": "operate",
  "POST /api/v1/pipelines/:id/runs": "operate",
  // Managing a run: cancel and re-run (API and the run page's buttons).
  "POST /api/v1/runs/:id/cancel": "operate",
  "POST /api/v1/runs/:id/rerun": "operate",
  "POST /runs/:id": "operate",
};

/** How the requesting user relates to the resource the route names. */
type Variant = "owner" | "non-owner" | "shared";
type Who = Role | "anonymous";
type Resource = "connector" | "pipeline" | "run";

const ROLES_UNDER_TEST: Who[] = [
  "admin",
  "editor",
  "operator",
  "viewer",
  "anonymous",
];

/** Whether `who` may call a route of `access` on a resource related by `variant`. */
function expectAllowed(
  access: Access,
  who: Who,
  variant: Variant | null,
): boolean {
  if (access === "public") return true;
  if (who === "anonymous") return false;
  const ownsOrShared = variant === null || variant !== "non-owner";
  switch (access) {
    case "signedIn":
      return true;
    case "admin":
      return who === "admin";
    case "create":
      return who === "admin" || who === "editor";
    case "edit":
      return who === "admin" || (who === "editor" && ownsOrShared);
    case "share":
      return who === "admin" ||
        (who === "editor" && (variant === null || variant === "owner"));
    case "operate":
      return who === "admin" || who === "operator" ||
        (who === "editor" && ownsOrShared);
  }
}

/** The owned resource a route pattern names in `:id`, if any. */
function resourceOf(pattern: string): Resource | null {
  const match = /\/(connectors|pipelines|runs)\/:id(\/|$)/.exec(pattern);
  if (!match) return null;
  return ({
    connectors: "connector",
    pipelines: "pipeline",
    runs: "run",
  } as const)[match[1] as "connectors" | "pipelines" | "runs"];
}

const ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/** Every "METHOD /pattern" the app answers (HEAD left out: it is GET). */
function routeKeys(
  routes: { path: string; methods: string[] | null }[],
): string[] {
  return routes.flatMap(({ path, methods }) =>
    (methods ?? ANY_METHOD).filter((m) => m !== "HEAD").map((m) =>
      `${m} ${path}`
    )
  ).sort();
}

// ---------------------------------------------------------------------------
// The platform with users and resources of every kind of ownership.

const CSV = "id,name\n1,a\n2,b\n";

interface Subject {
  role: Role;
  id: number;
  email: string;
  token: string;
  principal: Principal;
}

interface Ids {
  connector: { id: number; name: string };
  pipeline: { id: number; name: string };
  run: { id: number; taskId: number };
}

class World {
  subjects = new Map<Role, Subject>();
  /** The editor who owns the "non-owner" and "shared" resources. */
  other!: Subject;
  /** A user admins manage in /users/:id routes. */
  target!: Subject;
  owned = new Map<Role, Ids>();
  notOwned!: Ids;
  /** Owned by `other`, shared with every subject. */
  shared!: Ids;
  #n = 0;

  constructor(
    readonly p: Platform,
    readonly handler: (req: Request) => Promise<Response>,
    readonly csvPath: string,
  ) {}

  unique(prefix: string): string {
    return `${prefix}_${++this.#n}`;
  }

  async addSubject(role: Role): Promise<Subject> {
    const user = role === "admin"
      ? this.p.admin
      : await this.p.createUser(role);
    return {
      role,
      id: user.id,
      email: user.email,
      token: user.token,
      principal: {
        userId: user.id,
        email: user.email,
        name: "",
        role,
        via: "token",
      },
    };
  }

  async connector(owner: Subject, sharedWith: number[] = []) {
    const { db, box } = this.p.services;
    const name = this.unique("conn");
    const view = await createConnector(db, box, {
      name,
      kind: "csv",
      config: { path: this.csvPath },
      ownerId: owner.id,
    });
    if (sharedWith.length) {
      await setShares(db, "connector", view.id, sharedWith);
    }
    return { id: view.id, name };
  }

  definition(name: string): PipelineDefinition {
    return {
      name,
      description: "",
      steps: [
        {
          id: "extract",
          type: "extract",
          connector: "files",
          needs: [],
          retries: 0,
          config: { path: this.csvPath },
        },
        {
          id: "load",
          type: "load",
          connector: "warehouse",
          needs: ["extract"],
          retries: 0,
          config: { table: `t_${name.replaceAll("-", "_")}`, mode: "append" },
        },
      ],
    };
  }

  async pipeline(owner: Subject, sharedWith: number[] = []) {
    const { db } = this.p.services;
    const name = this.unique("pipe");
    const { id } = await savePipeline(db, this.definition(name), {
      author: owner.principal,
    });
    if (sharedWith.length) await setShares(db, "pipeline", id, sharedWith);
    return { id, name };
  }

  async run(pipelineId: number) {
    const { db } = this.p.services;
    const id = await startPipelineRun(db, pipelineId, { trigger: "api" });
    const [task] = await db.query<{ id: number }>(
      "select id from task_run where pipeline_run_id = $1 order by id limit 1",
      [id],
    );
    return { id, taskId: Number(task.id) };
  }

  async ids(owner: Subject, sharedWith: number[] = []): Promise<Ids> {
    const connector = await this.connector(owner, sharedWith);
    const pipeline = await this.pipeline(owner, sharedWith);
    const run = await this.run(pipeline.id);
    return { connector, pipeline, run };
  }

  /** Resources for `who` related by `variant`; fresh ones when `fresh`. */
  async resources(
    who: Who,
    variant: Variant | null,
    fresh: boolean,
  ): Promise<Ids> {
    const subject = who === "anonymous" ? null : this.subjects.get(who)!;
    if (!fresh) {
      if (variant === "owner") return this.owned.get(subject!.role)!;
      if (variant === "shared") return this.shared;
      return this.notOwned;
    }
    if (variant === "owner") return await this.ids(subject!);
    if (variant === "shared") return await this.ids(this.other, [subject!.id]);
    return await this.ids(this.other);
  }

  #bundle: string | undefined;

  /** A real island bundle, as a page that hydrates an island links it. */
  async bundlePath(): Promise<string> {
    if (!this.#bundle) {
      const html = await (await this.send("admin", "/load-csv")).text();
      const match = /\/_frsh\/js\/[^"'\s]+\.js/.exec(html);
      assert.ok(match, "no island bundle linked from /load-csv");
      this.#bundle = match[0];
    }
    return this.#bundle;
  }

  /** Sends as `who` through the app under test (same-origin, like a browser). */
  send(who: Who, path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("sec-fetch-site", "same-origin");
    if (who !== "anonymous") {
      headers.set("authorization", `Bearer ${this.subjects.get(who)!.token}`);
    }
    return this.handler(
      new Request(`http://localhost${path}`, { ...init, headers }),
    );
  }
}

async function buildWorld(p: Platform, csvPath: string): Promise<World> {
  const app = await createApp(p.services);
  const world = new World(p, app.handler(), csvPath);
  for (const role of ["admin", "editor", "operator", "viewer"] as const) {
    world.subjects.set(role, await world.addSubject(role));
  }
  world.other = await world.addSubject("editor");
  world.target = await world.addSubject("viewer");
  for (const [role, subject] of world.subjects) {
    world.owned.set(role, await world.ids(subject));
  }
  world.notOwned = await world.ids(world.other);
  world.shared = await world.ids(
    world.other,
    [...world.subjects.values()].map((s) => s.id),
  );
  return world;
}

function json(body: unknown): RequestInit {
  return {
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  };
}

function form(fields: Record<string, string>): RequestInit {
  return { body: new URLSearchParams(fields) };
}

/** The request a case sends: path with its parameters filled, and a body. */
async function requestFor(
  world: World,
  method: string,
  pattern: string,
  who: Who,
  ids: Ids,
): Promise<{ path: string; init: RequestInit }> {
  const key = `${method} ${pattern}`;
  const me = who === "anonymous"
    ? world.subjects.get("editor")!
    : world.subjects.get(who)!;
  const resource = resourceOf(pattern);
  let id = "";
  if (resource === "connector") id = String(ids.connector.id);
  else if (resource === "pipeline") id = String(ids.pipeline.id);
  else if (resource === "run") id = String(ids.run.id);
  else if (pattern.includes("/users/:id")) id = String(world.target.id);
  else if (pattern.startsWith("/api/v1/tokens/:id")) {
    // One's own token, made for this case (revoking it must not matter).
    const { view } = await createApiToken(world.p.services.db, me.id, {
      name: world.unique("tok"),
    });
    id = String(view.id);
  }
  const path = pattern === "/_frsh/js/:buildId/:file*"
    ? await world.bundlePath()
    : pattern
      .replace(":id", id)
      .replace(":taskId", String(ids.run.taskId))
      .replace(":version", "1");
  const name = world.unique("case");
  const bodies: Record<string, () => RequestInit> = {
    "POST /api/v1/auth/login": () =>
      json({ email: me.email, password: TEST_PASSWORD }),
    "POST /login": () => form({ email: me.email, password: TEST_PASSWORD }),
    "POST /api/v1/auth/logout": () => json({}),
    "POST /api/v1/tokens": () => json({ name, expiresInDays: 1 }),
    "POST /api/v1/users": () =>
      json({
        email: `${name}@example.test`,
        name,
        role: "viewer",
        password: TEST_PASSWORD,
      }),
    "PUT /api/v1/users/:id": () => json({ name }),
    "POST /api/v1/connectors": () =>
      json({ name, kind: "csv", config: { path: world.csvPath } }),
    "POST /connectors/new": () =>
      form({ kind: "csv", name, "config.path": world.csvPath }),
    "PUT /api/v1/connectors/:id": () =>
      json({ name, config: { path: world.csvPath } }),
    "POST /connectors/:id": () =>
      form({ _action: "save", name, "config.path": world.csvPath }),
    "PUT /api/v1/connectors/:id/shares": () => json({ userIds: [me.id] }),
    "PUT /api/v1/pipelines/:id/shares": () => json({ userIds: [me.id] }),
    "POST /api/v1/connectors/:id/preview": () =>
      json({ path: world.csvPath, limit: 5 }),
    "POST /api/v1/pipelines": () => json(world.definition(name)),
    "POST /api/v1/uploads": () => ({ body: CSV }),
    "POST /api/v1/csv-loads": () =>
      json({ path: world.csvPath, table: name, connector: "warehouse" }),
    "POST /load-csv": () =>
      form({ path: world.csvPath, table: name, connector: "warehouse" }),
  };
  let init: RequestInit = bodies[key]?.() ?? {};
  if (!bodies[key] && method !== "GET") {
    init = pattern.startsWith("/api/") ? json({}) : form({});
  }
  if (key === "POST /api/v1/uploads") {
    return { path: `${path}?filename=${name}.csv`, init: { ...init, method } };
  }
  return { path, init: { ...init, method } };
}

/**
 * The outcome of a response as the matrix sees it. Refusing a page GET
 * redirects to the sign-in page; after a POST (sign-out) going there is the
 * answer, not a refusal.
 */
function outcome(response: Response, method: string): "allowed" | "denied" {
  const location = response.headers.get("location") ?? "";
  if (response.status === 401 || response.status === 403) return "denied";
  if (
    method === "GET" && response.status >= 300 && response.status < 400 &&
    /^(https?:\/\/[^/]+)?\/login([?#]|$)/.test(location)
  ) {
    return "denied";
  }
  return "allowed";
}

/** What a refusal must look like: 401/303 for strangers, 403 for users. */
function refusalProblem(
  response: Response,
  who: Who,
  method: string,
  path: string,
): string | null {
  const isApi = path.startsWith("/api/");
  if (who === "anonymous") {
    if (!isApi && method === "GET") {
      const location = response.headers.get("location") ?? "";
      return response.status === 303 && location.startsWith("/login?next=")
        ? null
        : `expected 303 to /login?next=…, got ${response.status} ${location}`;
    }
    if (response.status !== 401) return `expected 401, got ${response.status}`;
    if (isApi && !response.headers.get("www-authenticate")) {
      return "a 401 without WWW-Authenticate";
    }
    return null;
  }
  if (response.status !== 403) return `expected 403, got ${response.status}`;
  if (
    isApi &&
    !response.headers.get("content-type")?.includes("application/problem+json")
  ) {
    return `a 403 that is not problem+json: ${
      response.headers.get("content-type")
    }`;
  }
  return null;
}

async function startWorld() {
  const files = await Deno.makeTempDir({ prefix: "etl_matrix_files_" });
  await Deno.writeTextFile(`${files}/people.csv`, CSV);
  const p = await startPlatform({ fileRoots: [files] });
  return {
    p,
    files,
    async [Symbol.asyncDispose]() {
      await p[Symbol.asyncDispose]();
      await Deno.remove(files, { recursive: true }).catch(() => {});
    },
  };
}

Deno.test("permission matrix: every route × method × role × ownership", async () => {
  await using env = await startWorld();
  const { p, files } = env;
  const world = await buildWorld(p, `${files}/people.csv`);
  const app = await createApp(p.services);
  const keys = routeKeys(app.routes());

  const uncovered = keys.filter((key) => !(key in EXPECTED));
  const mismatches: string[] = [];
  const serverErrors: string[] = [];
  let cases = 0;
  for (const key of keys) {
    const access = EXPECTED[key];
    if (access === undefined) continue;
    const [method, pattern] = key.split(" ");
    const resource = resourceOf(pattern);
    for (const who of ROLES_UNDER_TEST) {
      const variants: (Variant | null)[] = resource === null
        ? [null]
        : who === "anonymous"
        ? ["non-owner"]
        : ["owner", "non-owner", "shared"];
      for (const variant of variants) {
        cases++;
        // A request that may change or destroy what it names gets its own.
        const fresh = resource !== null && method !== "GET";
        const ids = await world.resources(who, variant, fresh);
        const { path, init } = await requestFor(
          world,
          method,
          pattern,
          who,
          ids,
        );
        const response = await world.send(who, path, init);
        const isStream = response.headers.get("content-type")?.includes(
          "text/event-stream",
        );
        const text = isStream
          ? (await response.body?.cancel(), "")
          : await response.text();
        const label = `${key} as ${who}${
          variant ? ` (${variant})` : ""
        } → ${response.status}`;
        if (response.status >= 500) {
          serverErrors.push(`${label}: ${text.slice(0, 300)}`);
        }
        const expected = expectAllowed(access, who, variant)
          ? "allowed"
          : "denied";
        const got = outcome(response, method);
        if (got !== expected) {
          mismatches.push(
            `${label}: expected ${expected}, got ${got}: ${text.slice(0, 200)}`,
          );
        } else if (got === "denied") {
          const problem = refusalProblem(response, who, method, path);
          if (problem) mismatches.push(`${label}: ${problem}`);
        }
      }
    }
  }
  assert.deepEqual(
    uncovered,
    [],
    `Routes with no expectation in tests/permission_matrix_test.ts (add them to EXPECTED):\n${
      uncovered.join("\n")
    }`,
  );
  assert.deepEqual(serverErrors, [], "Requests that failed with 5xx");
  assert.deepEqual(mismatches, [], "Allow/deny differs from the rules");
  assert.ok(cases > 300, `only ${cases} cases ran`);
});

// ---------------------------------------------------------------------------
// IDOR: an editor reaching for another editor's things by id or by name.

Deno.test("an editor cannot touch another editor's connectors, pipelines, runs or tokens", async () => {
  await using env = await startWorld();
  const { p, files } = env;
  const world = await buildWorld(p, `${files}/people.csv`);
  const alice = world.subjects.get("editor")!;
  const bob = world.other;
  const asAlice = (path: string, init?: RequestInit) =>
    world.send("editor", path, init);
  const asBob = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${bob.token}`);
    return world.send("anonymous", path, { ...init, headers });
  };
  const bobs = world.notOwned;
  const connectorPath = `/api/v1/connectors/${bobs.connector.id}`;

  // Reading is allowed (the viewer rule), and shows no secret.
  const read = await asAlice(connectorPath);
  assert.equal(read.status, 200);
  assert.equal((await read.json()).name, bobs.connector.name);

  // Changing, deleting, sharing or using it is not.
  const put = await asAlice(connectorPath, {
    method: "PUT",
    ...json({ name: "stolen", config: { path: world.csvPath } }),
  });
  assert.equal(put.status, 403, await put.text());
  const del = await asAlice(connectorPath, { method: "DELETE" });
  assert.equal(del.status, 403, await del.text());
  const share = await asAlice(`${connectorPath}/shares`, {
    method: "PUT",
    ...json({ userIds: [alice.id] }),
  });
  assert.equal(share.status, 403, await share.text());
  for (
    const [path, init] of [
      [`${connectorPath}/test`, { method: "POST" }],
      [`${connectorPath}/schema`, {}],
      [`${connectorPath}/preview`, {
        method: "POST",
        ...json({ path: world.csvPath }),
      }],
    ] as const
  ) {
    const response = await asAlice(path, init);
    assert.equal(response.status, 403, `${path}: ${await response.text()}`);
  }
  const page = await asAlice(`/connectors/${bobs.connector.id}`, {
    method: "POST",
    ...form({ _action: "delete" }),
  });
  assert.equal(page.status, 403, await page.text());
  const still = await asBob(connectorPath);
  assert.equal(still.status, 200);
  assert.equal((await still.json()).name, bobs.connector.name);

  // Starting a run of Bob's pipeline is refused and starts nothing.
  const runsBefore = await countRuns(p, bobs.pipeline.id);
  for (
    const path of [
      `/api/v1/pipelines/${bobs.pipeline.id}/runs`,
      `/pipelines/${bobs.pipeline.id}`,
    ]
  ) {
    const response = await asAlice(path, { method: "POST", ...json({}) });
    assert.equal(response.status, 403, `${path}: ${await response.text()}`);
  }
  assert.equal(await countRuns(p, bobs.pipeline.id), runsBefore);

  // Bob's runs can be read (logs and live events too).
  const runPath = `/api/v1/runs/${bobs.run.id}`;
  for (
    const path of [
      runPath,
      `${runPath}/tasks/${bobs.run.taskId}/logs`,
      `/runs/${bobs.run.id}`,
    ]
  ) {
    const response = await asAlice(path);
    assert.equal(response.status, 200, `${path}: ${await response.text()}`);
  }
  const events = await asAlice(`${runPath}/events`);
  assert.equal(events.status, 200);
  await events.body?.cancel();

  // Saving a pipeline under the name of Bob's is editing it: refused, and
  // Bob's pipeline keeps its version and steps.
  const before = await pipelineRow(p, bobs.pipeline.id);
  const hijack = world.definition(bobs.pipeline.name);
  hijack.description = "hijacked";
  const save = await asAlice("/api/v1/pipelines", {
    method: "POST",
    ...json(hijack),
  });
  assert.equal(save.status, 403, await save.text());
  assert.deepEqual(await pipelineRow(p, bobs.pipeline.id), before);

  // Nor may a pipeline of Alice's read through Bob's connector.
  const borrow = world.definition(world.unique("borrow"));
  borrow.steps[0] = {
    ...borrow.steps[0],
    connector: bobs.connector.name,
    config: {},
  } as typeof borrow.steps[0];
  const borrowed = await asAlice("/api/v1/pipelines", {
    method: "POST",
    ...json(borrow),
  });
  assert.equal(borrowed.status, 403, await borrowed.text());
  assert.equal(
    (await p.services.db.query("select 1 from pipeline where name = $1", [
      borrow.name,
    ])).length,
    0,
  );

  // The same through a CSV load whose generated name is Bob's pipeline.
  const bobLoad = await asBob("/api/v1/csv-loads", {
    method: "POST",
    ...json({ path: world.csvPath, table: "bob_table" }),
  });
  assert.equal(bobLoad.status, 201, await bobLoad.text());
  const aliceLoad = await asAlice("/api/v1/csv-loads", {
    method: "POST",
    ...json({ path: world.csvPath, table: "bob_table" }),
  });
  assert.equal(aliceLoad.status, 403, await aliceLoad.text());

  // Another user's token id answers 404, like an unknown one, and the token
  // keeps working.
  const bobTokens = await (await asBob("/api/v1/tokens")).json() as {
    id: number;
  }[];
  assert.ok(bobTokens.length > 0);
  for (const { id } of bobTokens) {
    const response = await asAlice(`/api/v1/tokens/${id}`, {
      method: "DELETE",
    });
    assert.equal(response.status, 404, await response.text());
  }
  const unknown = await asAlice("/api/v1/tokens/999999999", {
    method: "DELETE",
  });
  assert.equal(unknown.status, 404);
  const me = await asBob("/api/v1/me");
  assert.equal(me.status, 200);
  assert.equal((await me.json()).id, bob.id);
  // The token list shows only one's own.
  const aliceTokens = await (await asAlice("/api/v1/tokens")).json() as {
    id: number;
  }[];
  const bobIds = new Set(bobTokens.map((t) => t.id));
  assert.ok(aliceTokens.every((t) => !bobIds.has(t.id)));

  // Nobody but an admin changes users, not even themselves into an admin.
  const usersRow = () =>
    p.services.db.query(
      "select id, role, active, name from app_user order by id",
    );
  const usersBefore = await usersRow();
  for (const who of ["editor", "operator", "viewer"] as const) {
    const self = world.subjects.get(who)!;
    const attempts = [
      [self.id, { role: "admin" }],
      [bob.id, { active: false }],
      [world.target.id, { name: "renamed" }],
    ] as const;
    for (const [id, body] of attempts) {
      const response = await world.send(who, `/api/v1/users/${id}`, {
        method: "PUT",
        ...json(body),
      });
      assert.equal(response.status, 403, `${who}: ${await response.text()}`);
    }
  }
  assert.deepEqual(await usersRow(), usersBefore);
  assert.equal((await asBob("/api/v1/me")).status, 200);
});

Deno.test("an editor may edit, use and run what another editor shared with them, until unshared", async () => {
  await using env = await startWorld();
  const { p, files } = env;
  const world = await buildWorld(p, `${files}/people.csv`);
  const alice = world.subjects.get("editor")!;
  const bob = world.other;
  const asAlice = (path: string, init?: RequestInit) =>
    world.send("editor", path, init);
  const asBob = (path: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${bob.token}`);
    return world.send("anonymous", path, { ...init, headers });
  };
  const connector = await world.connector(bob);
  const pipeline = await world.pipeline(bob);
  const connectorPath = `/api/v1/connectors/${connector.id}`;
  const rename = (name: string) => ({
    method: "PUT",
    ...json({ name, config: { path: world.csvPath } }),
  });

  assert.equal((await asAlice(connectorPath, rename("mine"))).status, 403);

  // Bob shares both through the API.
  for (const path of [connectorPath, `/api/v1/pipelines/${pipeline.id}`]) {
    const response = await asBob(`${path}/shares`, {
      method: "PUT",
      ...json({ userIds: [alice.id] }),
    });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    assert.deepEqual(JSON.parse(text), [
      { userId: alice.id, email: alice.email },
    ]);
  }

  const renamed = await asAlice(connectorPath, rename("shared_renamed"));
  const renamedText = await renamed.text();
  assert.equal(renamed.status, 200, renamedText);
  assert.equal(JSON.parse(renamedText).name, "shared_renamed");
  const tested = await asAlice(`${connectorPath}/test`, { method: "POST" });
  assert.equal(tested.status, 200, await tested.text());
  const run = await asAlice(`/api/v1/pipelines/${pipeline.id}/runs`, {
    method: "POST",
  });
  assert.equal(run.status, 201, await run.text());
  const definition = world.definition(pipeline.name);
  definition.description = "edited by alice";
  const saved = await asAlice("/api/v1/pipelines", {
    method: "POST",
    ...json(definition),
  });
  const savedText = await saved.text();
  assert.equal(saved.status, 201, savedText);
  assert.deepEqual(JSON.parse(savedText), {
    id: pipeline.id,
    name: pipeline.name,
    version: 2,
    action: "update",
  });

  // A pipeline of her own may read through the shared connector.
  const own = world.definition(world.unique("own"));
  own.steps[0] = {
    ...own.steps[0],
    connector: "shared_renamed",
    config: {},
  } as typeof own.steps[0];
  const ownSaved = await asAlice("/api/v1/pipelines", {
    method: "POST",
    ...json(own),
  });
  assert.equal(ownSaved.status, 201, await ownSaved.text());

  // Unshared: refused again.
  for (const path of [connectorPath, `/api/v1/pipelines/${pipeline.id}`]) {
    const response = await asBob(`${path}/shares`, {
      method: "PUT",
      ...json({ userIds: [] }),
    });
    assert.equal(response.status, 200, await response.text());
  }
  assert.equal((await asAlice(connectorPath, rename("again"))).status, 403);
  const refused = await asAlice(`/api/v1/pipelines/${pipeline.id}/runs`, {
    method: "POST",
  });
  assert.equal(refused.status, 403);
  const resave = await asAlice("/api/v1/pipelines", {
    method: "POST",
    ...json(definition),
  });
  assert.equal(resave.status, 403);
  const ownAgain = await asAlice("/api/v1/pipelines", {
    method: "POST",
    ...json(own),
  });
  assert.equal(ownAgain.status, 403, await ownAgain.text());
});

async function countRuns(p: Platform, pipelineId: number): Promise<number> {
  const [row] = await p.services.db.query<{ n: number }>(
    "select count(*)::int as n from pipeline_run where pipeline_id = $1",
    [pipelineId],
  );
  return Number(row.n);
}

async function pipelineRow(p: Platform, id: number) {
  const [row] = await p.services.db.query<Record<string, unknown>>(
    `select p.name, p.description, p.current_version, p.owner_id,
            (select count(*)::int from pipeline_version v where v.pipeline_id = p.id) as versions
       from pipeline p where p.id = $1`,
    [id],
  );
  return { ...row, owner_id: Number(row.owner_id) };
}
