// Connector secrets never leak. Connectors with known, unique secrets — a
// MariaDB user's real password, REST bearer / API-key / basic credentials
// that a fixture checks, an S3 secret access key, a PostgreSQL password —
// run pipelines to SUCCESS, and two REST runs FAIL in ways that would quote
// the token if it were not redacted. Then no secret, nor its base64, may
// appear in any sink we can reach:
// - the metadata database: `pg_dump` (postgres backend) or the PGlite data
//   directory tarball (pglite backend), plus every row of every table of
//   every schema read as text through the Db (catches TOAST-compressed values);
// - every API GET response and every page (enumerated from app.routes(),
//   `:id` filled with real ids), previews, Test connection answers, task
//   logs, run views, live run events, the audit log;
// - the files under the data directory (staged datasets, uploads), the key
//   file excepted (it is a key, not a secret value);
// - the process's logs: every console line, where the JSON logger writes.
// Not reachable here: staged datasets are deleted when a run ends, so only
// what is left is scanned (they hold source rows, not credentials); exported
// pipeline YAML does not exist yet (another issue); the S3 test server
// (s3rver) does not verify SigV4 signatures, so the S3 secret is only proven
// to be used for signing, not checked by the server.

import assert from "node:assert/strict";
import type { Platform } from "./harness.ts";
import type { Fetched } from "./web_surface.ts";

// The logger reads ETL_LOG_LEVEL once, when its module loads: load the
// platform with every level on, so the capture sees debug and info lines
// even under `deno task test` (ETL_LOG_LEVEL=warn).
const previousLevel = Deno.env.get("ETL_LOG_LEVEL");
Deno.env.set("ETL_LOG_LEVEL", "debug");
const { startPlatform } = await import("./harness.ts");
const surface = await import("./web_surface.ts");
const { scratchMysql } = await import("../connectors/mysql/test_server.ts");
const { startS3, S3RVER_KEY } = await import("../connectors/s3/test_server.ts");
const { createScratchDatabase, TEST_BACKEND, TEST_PG_URL } = await import(
  "../lib/db/test_db.ts"
);
const { dumpPgliteDb } = await import("../lib/db/pglite_db.ts");
const { serverConfig } = await import("../connectors/postgres/test_targets.ts");
const { log } = await import("../lib/log/logger.ts");
if (previousLevel === undefined) Deno.env.delete("ETL_LOG_LEVEL");
else Deno.env.set("ETL_LOG_LEVEL", previousLevel);

const encodeBase64 = (bytes: Uint8Array) =>
  btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(""));
const encodeBase64Url = (bytes: Uint8Array) =>
  encodeBase64(bytes).replaceAll("+", "-").replaceAll("/", "_")
    .replace(/=+$/, "");

const hex = (bytes: number) =>
  Array.from(
    crypto.getRandomValues(new Uint8Array(bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");

const SECRETS = {
  mariadbPassword: `Mdb-${hex(12)}`,
  bearerToken: `brr-${hex(12)}`,
  apiKey: `key-${hex(12)}`,
  basicPassword: `bas-${hex(12)}`,
  s3SecretKey: `s3s-${hex(12)}`,
  postgresPassword: `pgp-${hex(12)}`,
  // At most 20 characters: V8 quotes a whole non-JSON body that short in
  // its SyntaxError, so the failure message would carry it unredacted.
  failingToken: `ft-${hex(8)}`,
};
const BASIC_USER = "leak_basic_user";

/** Ways a secret could be written: as is, and base64 at each byte alignment. */
function forms(secret: string): string[] {
  const bytes = new TextEncoder().encode(secret);
  const out = [secret, encodeBase64(bytes), encodeBase64Url(bytes)];
  for (let shift = 0; shift < 3; shift++) {
    const padded = new Uint8Array(shift + bytes.length);
    padded.set(bytes, shift);
    for (const b64 of [encodeBase64(padded), encodeBase64Url(padded)]) {
      // Keep the characters that depend on the secret's bytes alone.
      const inner = b64.replace(/=+$/, "").slice(shift ? 4 : 0, -4);
      if (inner.length >= 12) out.push(inner);
    }
  }
  return [...new Set(out)];
}

const NEEDLES = Object.entries(SECRETS).flatMap(([name, secret]) =>
  forms(secret).map((form) => ({ name, form }))
).concat(
  forms(`${BASIC_USER}:${SECRETS.basicPassword}`).map((form) => ({
    name: "basicHeader",
    form,
  })),
);

/** Asserts `text`, found in `where`, holds no secret in any form. */
function assertNoSecret(where: string, text: string): void {
  for (const { name, form } of NEEDLES) {
    const at = text.indexOf(form);
    assert.ok(
      at === -1,
      `${where} leaks ${name} (as ${JSON.stringify(form)}): …${
        text.slice(Math.max(0, at - 120), at + form.length + 40)
      }…`,
    );
  }
}

/** Every file under `dir` (recursively) but the key file. */
async function* filesUnder(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* filesUnder(path);
    else if (entry.isFile && entry.name !== "secret.key") yield path;
  }
}

/** Every row of every table of every non-system schema, as text. */
async function logicalDump(p: Platform): Promise<string> {
  const { db } = p.services;
  const tables = await db.query<{ schema: string; name: string }>(
    `select table_schema as schema, table_name as name
       from information_schema.tables
      where table_type = 'BASE TABLE'
        and table_schema not in ('pg_catalog', 'information_schema')
      order by 1, 2`,
  );
  assert.ok(tables.some((t) => t.schema === "etl" && t.name === "credential"));
  const parts: string[] = [];
  for (const { schema, name } of tables) {
    const rows = await db.query<{ row: string }>(
      `select t::text as row from "${schema}"."${name}" t`,
    );
    parts.push(`-- ${schema}.${name}`, ...rows.map((r) => r.row));
  }
  return parts.join("\n");
}

/** The backend's own dump: pg_dump's SQL, or PGlite's data directory tarball (latin1, so bytes map 1:1). */
async function physicalDump(p: Platform): Promise<string> {
  if (TEST_BACKEND === "pglite") {
    const tarball = await dumpPgliteDb(p.services.db);
    return new TextDecoder("latin1").decode(await tarball.arrayBuffer());
  }
  const [{ name }] = await p.services.db.query<{ name: string }>(
    "select current_database() as name",
  );
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  const dump = await new Deno.Command("pg_dump", {
    args: ["--no-owner", "--dbname", url.toString()],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(dump.success, new TextDecoder().decode(dump.stderr));
  const text = new TextDecoder().decode(dump.stdout);
  assert.match(text, /COPY etl\.credential /);
  return text;
}

Deno.test("the leak detector finds a secret as is and inside base64 at any alignment", () => {
  for (const prefix of ["", "a", "ab", "abc", "Bearer ", "leak_basic_user:"]) {
    const text = `${prefix}${SECRETS.apiKey}!`;
    const bytes = new TextEncoder().encode(text);
    for (const encoded of [text, encodeBase64(bytes), encodeBase64Url(bytes)]) {
      assert.throws(
        () => assertNoSecret("sample", `<${encoded}>`),
        /leaks apiKey/,
        `${prefix} ${encoded}`,
      );
    }
  }
  assertNoSecret("sample", "nothing secret here");
});

Deno.test("connector secrets appear in no dump, response, page, log, audit event or file", async () => {
  // Quiet: the lines are checked below, not printed.
  using captured = surface.captureConsole({ passThrough: false });
  // Sources: a MariaDB user with a real password, a PostgreSQL database,
  // an S3 bucket and a REST API that checks each credential.
  await using maria = await scratchMysql();
  const mariaUser = `etl_leak_${maria.database.slice(-10)}`;
  const pg = await createScratchDatabase("etl_leak");
  await using s3 = await startS3("leak-bucket");
  const authorized: Record<string, number> = {};
  const allow = (name: string) => {
    authorized[name] = (authorized[name] ?? 0) + 1;
    return Response.json({
      data: [{ id: 1, who: name }, { id: 2, who: name }],
    });
  };
  await using rest = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (req) => {
      const auth = req.headers.get("authorization") ?? "";
      switch (new URL(req.url).pathname) {
        case "/bearer":
          if (auth === `Bearer ${SECRETS.bearerToken}`) return allow("bearer");
          break;
        case "/api-key":
          if (req.headers.get("x-api-key") === SECRETS.apiKey) {
            return allow("apiKey");
          }
          break;
        case "/basic":
          if (
            auth ===
              `Basic ${btoa(`${BASIC_USER}:${SECRETS.basicPassword}`)}`
          ) return allow("basic");
          break;
        // Failures that quote the credential back.
        case "/echo-500":
          return new Response(`bad request from ${auth}`, { status: 500 });
        case "/echo":
          // Not JSON: the parse error quotes this (short) body.
          return new Response(auth.replace(/^Bearer /, ""));
      }
      return new Response("unauthorized", { status: 401 });
    },
  );
  const restUrl = `http://127.0.0.1:${rest.addr.port}`;
  try {
    for (const host of ["%", "localhost"]) {
      await maria.db.query("create user ?@? identified by ?", [
        mariaUser,
        host,
        SECRETS.mariadbPassword,
      ]);
      await maria.db.query(`grant all on ${maria.database}.* to ?@?`, [
        mariaUser,
        host,
      ]);
    }
    await maria.db.query("create table orders (id int primary key, note text)");
    await maria.db.query("insert into orders values (1, 'one'), (2, 'two')");
    {
      const { openPostgresDb } = await import("../lib/db/postgres_db.ts");
      const source = await openPostgresDb(pg.url, { max: 1 });
      await source.query("create table customers (id int, name text)");
      await source.query("insert into customers values (1, 'Ada'), (2, 'Bo')");
      await source.close();
    }
    await s3.put("in/data.csv", "id,city\n1,Paris\n2,Oslo\n");

    await using p = await startPlatform();
    const connector = (name: string, kind: string, config: unknown) =>
      surface.postJson(p, "/api/v1/connectors", { name, kind, config });
    const rest_ = (path: string, auth: Record<string, unknown>) => ({
      url: `${restUrl}${path}`,
      records_path: "data",
      retries: 0,
      ...auth,
    });
    const created = [
      await connector("leak_mysql", "mysql", {
        ...maria.config,
        user: mariaUser,
        password: SECRETS.mariadbPassword,
      }),
      await connector(
        "leak_bearer",
        "rest",
        rest_("/bearer", { auth_type: "bearer", token: SECRETS.bearerToken }),
      ),
      await connector(
        "leak_api_key",
        "rest",
        rest_("/api-key", { auth_type: "api_key", api_key: SECRETS.apiKey }),
      ),
      await connector(
        "leak_basic",
        "rest",
        rest_("/basic", {
          auth_type: "basic",
          username: BASIC_USER,
          password: SECRETS.basicPassword,
        }),
      ),
      await connector(
        "leak_s3",
        "s3",
        s3.config({ secret_access_key: SECRETS.s3SecretKey }),
      ),
      await connector("leak_pg", "postgres", {
        ...serverConfig(new URL(pg.url).pathname.slice(1)),
        password: SECRETS.postgresPassword,
      }),
      await connector(
        "leak_echo",
        "rest",
        rest_("/echo", { auth_type: "bearer", token: SECRETS.failingToken }),
      ),
      await connector(
        "leak_echo_500",
        "rest",
        rest_("/echo-500", {
          auth_type: "bearer",
          token: SECRETS.failingToken,
        }),
      ),
    ];
    for (const view of created) {
      assertNoSecret("POST /api/v1/connectors", JSON.stringify(view));
    }

    // Each connector in an extract → warehouse load; S3 is also written.
    const pipeline = (
      name: string,
      from: string,
      config: Record<string, unknown> = {},
      more: unknown[] = [],
    ) => ({
      name,
      steps: [
        { id: "extract", type: "extract", connector: from, config },
        {
          id: "load",
          type: "load",
          needs: ["extract"],
          connector: "warehouse",
          config: { table: name },
        },
        ...more,
      ],
    });
    const succeeding = [
      pipeline("leak_mysql", "leak_mysql", { table: "orders" }),
      pipeline("leak_bearer", "leak_bearer"),
      pipeline("leak_api_key", "leak_api_key"),
      pipeline("leak_basic", "leak_basic"),
      pipeline("leak_s3", "leak_s3", { path: "in/*.csv" }, [{
        id: "write_back",
        type: "load",
        needs: ["extract"],
        connector: "leak_s3",
        config: { table: "out/data.ndjson", mode: "replace" },
      }]),
      pipeline("leak_pg", "leak_pg", { table: "customers" }),
    ];
    for (const definition of succeeding) {
      const { run } = await surface.runPipeline(p, definition);
      assert.equal(
        run.status,
        "SUCCESS",
        `${definition.name}: ${JSON.stringify(run.tasks.map((t) => t.error))}`,
      );
      assert.equal(run.tasks[1].rows_out, 2, definition.name);
    }
    assert.deepEqual(authorized, { bearer: 1, apiKey: 1, basic: 1 });
    assert.ok(await s3.get("out/data.ndjson"), "the S3 load wrote its object");
    assert.ok(
      s3.requests.length > 0,
      "the S3 connector talked to s3rver, signing with the secret",
    );
    for (const name of ["leak_echo", "leak_echo_500"]) {
      const { run } = await surface.runPipeline(p, pipeline(name, name));
      assert.equal(run.status, "FAILURE", name);
    }
    // V8's parse error would have quoted the token's start: the message
    // gives only the position.
    const [echoError] = await p.services.db.query<{ error: string }>(
      `select t.error from task_run t join pipeline_run r on r.id = t.pipeline_run_id
        join pipeline p on p.id = r.pipeline_id
       where p.name = 'leak_echo' and t.status = 'FAILURE'`,
    );
    assert.match(
      echoError.error,
      /response is not JSON \(syntax error (at position \d+ of|in) \d+ characters\)/,
    );

    // On-demand use of the credentials: Test connection, schema and preview,
    // through the API and the connector page's no-JavaScript form.
    const answers: Fetched[] = [];
    const previews: Record<string, Record<string, unknown>> = {
      leak_mysql: { table: "orders" },
      leak_pg: { table: "customers" },
      leak_s3: { path: "in/data.csv" },
    };
    for (const view of created as { id: number; name: string }[]) {
      const calls: [string, unknown][] = [
        [`/api/v1/connectors/${view.id}/test`, {}],
        [
          `/api/v1/connectors/${view.id}/preview`,
          previews[view.name] ?? { table: "x" },
        ],
      ];
      for (const [path, body] of calls) {
        const response = await p.fetch(path, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
        answers.push({
          path: `POST ${path}`,
          status: response.status,
          contentType: response.headers.get("content-type") ?? "",
          body: await response.text(),
        });
      }
      const page = await p.fetch(`/connectors/${view.id}`, {
        method: "POST",
        body: new URLSearchParams({ _action: "test" }),
      });
      answers.push({
        path: `POST /connectors/${view.id} (test)`,
        status: page.status,
        contentType: page.headers.get("content-type") ?? "",
        body: await page.text(),
      });
    }
    // The failing REST API answers Test connection with the quoting error.
    assert.ok(answers.some((a) => a.body.includes("response is not JSON")));

    // Every GET route, API and pages, with every real id; a few queries more.
    const ids = await surface.knownIds(p.services.db);
    const paths = new Set(
      (await surface.getRoutePatterns(p)).flatMap((pattern) =>
        surface.expandPattern(pattern, ids)
      ),
    );
    paths.add("/api/v1/audit?limit=1000");
    paths.add("/admin/audit?limit=1000");
    paths.add("/api/v1/runs?limit=500");
    for (const view of created as { id: number; name: string }[]) {
      const query = previews[view.name];
      if (query) {
        paths.add(
          `/connectors/${view.id}/preview?${new URLSearchParams(
            query as Record<string, string>,
          )}`,
        );
      }
    }
    assert.ok(paths.has("/api/v1/audit"));
    const fetched: Fetched[] = [];
    for (const path of paths) {
      const got = await surface.fetchText(p.fetch, path);
      assert.notEqual(got.status, 500, `${path}: ${got.body.slice(0, 300)}`);
      fetched.push(got);
    }
    // The sinks really hold what they should: connectors, runs, audit.
    const audit = fetched.find((f) => f.path === "/api/v1/audit?limit=1000")!;
    assert.equal(audit.status, 200);
    assert.match(audit.body, /secret\.use/);
    assert.ok(
      fetched.some((f) =>
        /\/api\/v1\/runs\/\d+\/tasks\/\d+\/logs$/.test(f.path) &&
        f.body.includes("response is not JSON")
      ),
      "task logs carry the failure",
    );
    for (const got of [...answers, ...fetched]) {
      assertNoSecret(`${got.path} (${got.status})`, got.body);
    }

    // The metadata database, both ways.
    const logical = await logicalDump(p);
    const physical = await physicalDump(p);
    for (const dump of [logical, physical]) {
      // Recent rows made it into the dump (PGlite flushes on dump).
      assert.ok(dump.includes("leak_echo_500"), "connectors are in the dump");
      assert.ok(
        dump.includes("response is not JSON"),
        "task errors are in the dump",
      );
    }
    assertNoSecret("the logical dump of every table", logical);
    assertNoSecret(`the ${TEST_BACKEND} dump`, physical);

    // Files under the data directory.
    for await (const path of filesUnder(p.dataDir)) {
      const bytes = await Deno.readFile(path);
      assertNoSecret(path, new TextDecoder("latin1").decode(bytes));
    }

    // The process's logs: the logger's JSON lines and anything else printed.
    log.debug("leak test: capture check");
    const lines = captured.lines.join("\n");
    assert.match(
      lines,
      /leak test: capture check/,
      "the logger's output is captured",
    );
    assert.match(
      lines,
      /"msg":"reading from connector \\"leak_echo\\"","run_id":\d+/,
      "info-level task log lines reached the capture",
    );
    assertNoSecret("the process's log lines", lines);
  } finally {
    for (const host of ["%", "localhost"]) {
      await maria.db.query("drop user if exists ?@?", [mariaUser, host]);
    }
    await pg.drop();
  }
  // s3rver keeps its fixed key; our secret is only its signing input.
  assert.notEqual(S3RVER_KEY, SECRETS.s3SecretKey);
});
