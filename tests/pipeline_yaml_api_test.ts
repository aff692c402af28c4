// Pipelines as YAML or JSON text through the API and the YAML editor pages:
// every error at once with its line and column, versions only on change,
// export → import round trips, the JSON Schema for editors.

import assert from "node:assert/strict";
import ajv2020 from "ajv/dist/2020.js";
import { type Platform, startPlatform } from "./harness.ts";
import { listAuditEvents } from "../lib/audit/audit_log.ts";
import { MAX_PIPELINE_BYTES } from "../lib/pipeline/pipeline_loader.ts";

// The CommonJS default export is the class itself.
const Ajv2020 = ajv2020 as unknown as typeof ajv2020.default;

const YAML = `name: daily
description: Sales of the day
steps:
  - id: read
    type: extract
    connector: files
    config:
      path: sales.csv
  - id: write
    type: load
    needs: [read]
    connector: warehouse
    config:
      table: sales
`;

interface Problem {
  status: number;
  detail: string;
  field?: string;
  errors?: { field: string; message: string; line?: number; column?: number }[];
}

function send(
  p: Platform,
  body: string,
  options: { type?: string; path?: string; method?: string } = {},
) {
  return p.fetch(options.path ?? "/api/v1/pipelines", {
    method: options.method ?? "POST",
    body,
    headers: { "content-type": options.type ?? "application/yaml" },
  });
}

async function problem(response: Response, status: number): Promise<Problem> {
  assert.equal(response.status, status, await response.clone().text());
  assert.equal(
    response.headers.get("content-type"),
    "application/problem+json",
  );
  const body = await response.json() as Problem;
  assert.equal(body.field, body.errors?.[0]?.field);
  return body;
}

Deno.test("POST /api/v1/pipelines takes YAML or JSON, versions only on change, dry-runs", async () => {
  await using p = await startPlatform();
  const created = await send(p, YAML, {
    path: "/api/v1/pipelines?message=first",
  });
  assert.equal(created.status, 201);
  const { id } = await created.json();
  assert.ok(Number.isInteger(id));

  // The same pipeline as JSON, keys in another order, defaults spelled out.
  const json = JSON.stringify({
    steps: [
      {
        type: "extract",
        id: "read",
        connector: "files",
        config: { path: "sales.csv" },
      },
      {
        id: "write",
        type: "load",
        needs: ["read"],
        retries: 0,
        connector: "warehouse",
        config: { mode: "append", table: "sales" },
      },
    ],
    description: "Sales of the day",
    name: "daily",
  });
  for (const type of ["application/json", "application/json; charset=utf-8"]) {
    const same = await send(p, json, { type });
    assert.equal(same.status, 200);
    assert.deepEqual(await same.json(), {
      id,
      name: "daily",
      version: 1,
      action: "unchanged",
    });
  }

  const changed = YAML.replace("table: sales", "table: sales_v2");
  const dry = await send(p, changed, {
    type: "text/yaml",
    path: "/api/v1/pipelines?dry_run=1",
  });
  assert.equal(dry.status, 200);
  assert.deepEqual(await dry.json(), {
    name: "daily",
    action: "update",
    version: 2,
  });
  const dryNew = await send(p, YAML.replace("name: daily", "name: fresh"), {
    type: "application/x-yaml",
    path: "/api/v1/pipelines?dry_run=1",
  });
  assert.deepEqual(await dryNew.json(), {
    name: "fresh",
    action: "create",
    version: 1,
  });
  assert.equal(
    (await p.fetch(`/api/v1/pipelines/${id}`).then((r) => r.json()))
      .current_version,
    1,
  );
  assert.equal(
    (await p.fetch("/api/v1/pipelines").then((r) => r.json())).length,
    1,
    "a dry run creates nothing",
  );

  const updated = await send(p, changed, {
    path: "/api/v1/pipelines?message=bigger%20table",
  });
  assert.equal(updated.status, 201);
  assert.deepEqual(await updated.json(), {
    id,
    name: "daily",
    version: 2,
    action: "update",
  });
  const [message] = await p.services.db.query<{ message: string }>(
    "select message from pipeline_version where pipeline_id = $1 and version = 2",
    [id],
  );
  assert.equal(message.message, "bigger table");
  const audit = await listAuditEvents(p.services.db, { action: "pipeline." });
  assert.deepEqual(audit.map((e) => [e.action, e.detail]).reverse(), [
    ["pipeline.create", { version: 1, message: "first" }],
    ["pipeline.update", { version: 2, message: "bigger table" }],
  ]);
});

Deno.test("POST /api/v1/pipelines lists every error at once with field, line and column", async () => {
  await using p = await startPlatform();
  const text = `name: daily
steps:
  - id: a
    type: extract
    connector: files
    needs: [c]
    colour: blue
  - id: b
    type: extract
    connector: nowhere
    needs: [a]
    retries: "3"
  - id: c
    type: extract
    connector: files
    needs: [b, ghost]
  - id: a
    type: load
    connector: warehouse
    needs: [c]
    config:
      mode: append
`;
  const body = await problem(await send(p, text), 422);
  assert.deepEqual(body.errors, [
    {
      field: "steps",
      message: "steps form a cycle: a → c → b → a",
      line: 3,
      column: 3,
    },
    {
      field: "steps.0.colour",
      message: 'unknown field "colour"',
      line: 7,
      column: 5,
    },
    {
      field: "steps.1.connector",
      message: 'step 2 uses unknown connector "nowhere"',
      line: 10,
      column: 16,
    },
    {
      field: "steps.1.retries",
      message: "Invalid input: expected number, received string",
      line: 12,
      column: 14,
    },
    {
      field: "steps.2.needs.1",
      message: 'step "c" needs unknown step "ghost"',
      line: 16,
      column: 16,
    },
    {
      field: "steps.3.id",
      message: 'duplicate step id "a"',
      line: 17,
      column: 9,
    },
    {
      field: "steps.3.config.table",
      message: 'missing required field "table"',
      line: 22,
      column: 7,
    },
  ]);
  assert.equal(
    body.detail,
    "Invalid pipeline: line 3, column 3: steps: steps form a cycle: a → c → b → a (and 6 more)",
  );
  assert.equal(
    (await p.fetch("/api/v1/pipelines").then((r) => r.json())).length,
    0,
  );
});

Deno.test("POST /api/v1/pipelines reports syntax errors, unknown connectors and JSON errors by position", async () => {
  await using p = await startPlatform();
  const syntax = await problem(
    await send(p, "name: daily\nsteps:\n  - id: [read\n"),
    422,
  );
  assert.deepEqual(syntax.errors, [{
    field: "",
    message:
      "Flow sequence in block collection must be sufficiently indented and end with a ]",
    line: 4,
    column: 1,
  }]);

  const unknown = await problem(
    await send(
      p,
      YAML.replace("connector: warehouse", "connector: wharehouse"),
    ),
    422,
  );
  assert.deepEqual(unknown.errors, [{
    field: "steps.1.connector",
    message: 'step 2 uses unknown connector "wharehouse"',
    line: 12,
    column: 16,
  }]);

  const json = await problem(
    await send(p, '{\n  "name": "daily",\n  "steps": [1,]\n}', {
      type: "application/json",
    }),
    422,
  );
  assert.deepEqual(json.errors, [{
    field: "",
    message: 'trailing comma before "]"',
    line: 3,
    column: 15,
  }]);
  // YAML sent as JSON is not JSON.
  const notJson = await problem(
    await send(p, YAML, { type: "application/json" }),
    422,
  );
  assert.equal(notJson.errors?.[0].message, 'expected a JSON value, found "n"');
});

Deno.test("POST /api/v1/pipelines refuses other content types (415), large bodies (413) and YAML bombs fast", async () => {
  await using p = await startPlatform();
  const plain = await problem(await send(p, YAML, { type: "text/plain" }), 415);
  assert.equal(
    plain.detail,
    'Cannot read pipeline: content type "text/plain" is not supported: send application/json, application/yaml, application/x-yaml, text/yaml',
  );
  await problem(
    await p.fetch("/api/v1/pipelines", { method: "POST", body: YAML }),
    415,
  );

  const huge = `description: ${"x".repeat(MAX_PIPELINE_BYTES)}\n`;
  const tooLarge = await problem(await send(p, huge), 413);
  assert.equal(
    tooLarge.errors?.[0].message,
    `document is larger than ${MAX_PIPELINE_BYTES} bytes`,
  );
  // Streamed without a length: cut off at the limit all the same.
  const stream = new Blob([huge]).stream();
  await problem(
    await p.fetch("/api/v1/pipelines", {
      method: "POST",
      body: stream,
      headers: { "content-type": "application/yaml" },
    }),
    413,
  );

  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i <= 12; i++) {
    const prev = i === 1 ? "a" : `l${i - 1}`;
    lines.push(`l${i}: &l${i} [${Array(9).fill(`*${prev}`).join(",")}]`);
  }
  const started = performance.now();
  const bomb = await problem(await send(p, lines.join("\n")), 422);
  assert.ok(performance.now() - started < 2000, "fails fast");
  assert.deepEqual(bomb.errors?.[0], {
    field: "l1.0",
    message: "aliases are not allowed: *a",
    line: 2,
    column: 10,
  });
  const deep = await problem(await send(p, "[".repeat(500_000)), 422);
  assert.deepEqual(deep.errors, [{
    field: "",
    message: "document nests deeper than 64 levels",
    line: 1,
    column: 257,
  }]);
});

Deno.test("PUT and DELETE /api/v1/pipelines/:id", async () => {
  await using p = await startPlatform();
  const { id } = await (await send(p, YAML)).json();
  const other =
    await (await send(p, YAML.replace("name: daily", "name: other"))).json();
  const path = `/api/v1/pipelines/${id}`;

  const put = await send(p, YAML.replace("table: sales", "table: sales_v2"), {
    method: "PUT",
    path: `${path}?message=v2`,
  });
  assert.equal(put.status, 200);
  assert.deepEqual(await put.json(), {
    id,
    name: "daily",
    version: 2,
    action: "update",
  });
  const again = await send(p, YAML.replace("table: sales", "table: sales_v2"), {
    method: "PUT",
    path,
  });
  assert.deepEqual(await again.json(), {
    id,
    name: "daily",
    version: 2,
    action: "unchanged",
  });

  // Naming another pipeline is a conflict, pointed at the name.
  const taken = await problem(
    await send(p, YAML.replace("name: daily", "name: other"), {
      method: "PUT",
      path,
    }),
    409,
  );
  assert.deepEqual(taken.errors, [{
    field: "name",
    message: 'a pipeline named "other" already exists',
    line: 1,
    column: 7,
  }]);
  // A free name renames it.
  const renamed = await send(
    p,
    YAML.replace("name: daily", "name: daily_sales"),
    {
      method: "PUT",
      path,
      type: "application/yaml",
    },
  );
  assert.deepEqual(await renamed.json(), {
    id,
    name: "daily_sales",
    version: 3,
    action: "update",
  });
  const invalid = await problem(
    await send(p, YAML.replace("type: load", "type: lode"), {
      method: "PUT",
      path,
    }),
    422,
  );
  assert.deepEqual(invalid.errors, [{
    field: "steps.1.type",
    message: 'must be one of "extract", "load", "transform", "sql", "http"',
    line: 10,
    column: 11,
  }]);
  await problem(
    await send(p, "{}", { method: "PUT", type: "text/csv", path }),
    415,
  );
  assert.equal(
    (await send(p, YAML, { method: "PUT", path: "/api/v1/pipelines/99999" }))
      .status,
    404,
  );

  const deleted = await p.fetch(path, { method: "DELETE" });
  assert.equal(deleted.status, 204);
  assert.equal((await p.fetch(path)).status, 404);
  assert.equal((await p.fetch(`/api/v1/pipelines/${other.id}`)).status, 200);
  assert.equal((await p.fetch(path, { method: "DELETE" })).status, 404);
  const [event] = await listAuditEvents(p.services.db, {
    action: "pipeline.delete",
  });
  assert.deepEqual(
    [event.targetId, event.targetName, event.detail],
    [String(id), "daily_sales", { version: 3 }],
  );

  // Viewers may not change or delete.
  const viewer = await p.createUser("viewer");
  assert.equal(
    (await viewer.fetch(`/api/v1/pipelines/${other.id}`, { method: "DELETE" }))
      .status,
    403,
  );
});

Deno.test("export → import round trips in YAML and JSON", async () => {
  await using p = await startPlatform();
  const { id } = await (await send(p, YAML)).json();
  const yaml = await p.fetch(`/api/v1/pipelines/${id}/export`);
  assert.equal(yaml.status, 200);
  assert.equal(
    yaml.headers.get("content-type"),
    "application/yaml; charset=utf-8",
  );
  assert.equal(
    yaml.headers.get("content-disposition"),
    'attachment; filename="daily.yaml"',
  );
  const text = await yaml.text();
  assert.equal(
    text,
    `# yaml-language-server: $schema=http://localhost/api/v1/schema/pipeline.json
name: daily
description: Sales of the day
steps:
  - id: read
    type: extract
    needs: []
    connector: files
    config:
      path: sales.csv
    retries: 0
  - id: write
    type: load
    needs:
      - read
    connector: warehouse
    config:
      mode: append
      table: sales
    retries: 0
`,
  );
  const back = await send(p, text);
  assert.deepEqual(await back.json(), {
    id,
    name: "daily",
    version: 1,
    action: "unchanged",
  });

  const json = await p.fetch(`/api/v1/pipelines/${id}/export?format=json`);
  assert.equal(
    json.headers.get("content-type"),
    "application/json; charset=utf-8",
  );
  assert.equal(
    json.headers.get("content-disposition"),
    'attachment; filename="daily.json"',
  );
  const jsonBack = await send(p, await json.text(), {
    type: "application/json",
  });
  assert.equal((await jsonBack.json()).action, "unchanged");

  const bad = await problem(
    await p.fetch(`/api/v1/pipelines/${id}/export?format=xml`),
    422,
  );
  assert.equal(bad.field, "format");
  assert.equal((await p.fetch("/api/v1/pipelines/99999/export")).status, 404);
});

Deno.test("GET /api/v1/schema/pipeline.json is a public draft 2020-12 schema of the format", async () => {
  await using p = await startPlatform();
  const response = await p.fetch("/api/v1/schema/pipeline.json", {
    headers: { authorization: "" },
  });
  assert.equal(response.status, 200);
  assert.equal(
    response.headers.get("content-type"),
    "application/schema+json; charset=utf-8",
  );
  const schema = await response.json();
  assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
  assert.equal(schema.$id, "http://localhost/api/v1/schema/pipeline.json");
  assert.equal(schema.title, "ETL pipeline");
  assert.equal(schema.properties.name.description, "Unique pipeline name");

  // Strict mode: no unknown keywords; valid against the 2020-12 meta-schema.
  const ajv = new Ajv2020({ allowUnionTypes: true });
  assert.equal(ajv.validateSchema(schema), true, JSON.stringify(ajv.errors));
  const validate = ajv.compile(schema);
  const valid = {
    name: "daily",
    steps: [
      { id: "read", type: "extract", connector: "files" },
      {
        id: "write",
        type: "load",
        needs: ["read"],
        connector: "warehouse",
        config: { table: "sales" },
      },
    ],
  };
  assert.ok(validate(valid), JSON.stringify(validate.errors));
  assert.ok(!validate({ ...valid, owner: "me" }));
  assert.ok(
    !validate({
      ...valid,
      steps: [{ ...valid.steps[0], colour: "blue" }],
    }),
  );
});

Deno.test("the YAML editor pages create and edit pipelines without JavaScript", async () => {
  await using p = await startPlatform();
  const list = await (await p.fetch("/pipelines")).text();
  assert.match(
    list,
    /<a href="\/pipelines\/new" id="new-pipeline">New pipeline<\/a>/,
  );
  const viewer = await p.createUser("viewer");
  const viewerList = await (await viewer.fetch("/pipelines")).text();
  assert.doesNotMatch(viewerList, /New pipeline/);

  const form = await (await p.fetch("/pipelines/new")).text();
  assert.match(form, /<textarea id="yaml" name="yaml"/);
  assert.match(
    form,
    /# yaml-language-server: \$schema=http:\/\/localhost\/api\/v1\/schema\/pipeline.json/,
  );

  const post = (path: string, yaml: string, message = "") =>
    p.fetch(path, {
      method: "POST",
      body: new URLSearchParams({ yaml, message }),
      redirect: "manual",
    });
  // A broken definition: every error with line:column, the text kept and escaped.
  const broken = YAML.replace(
    "description: Sales of the day",
    "description: <script>alert(1)</script>",
  )
    .replace("type: load", "type: lode")
    .replace(
      "    connector: files\n",
      "    connector: files\n    colour: blue\n",
    );
  const failed = await post("/pipelines/new", broken);
  assert.equal(failed.status, 422);
  const html = await failed.text();
  assert.match(
    html,
    /<li data-line="7" data-column="5"><span class="position">7:5<\/span> <code>steps.0.colour<\/code> unknown field &quot;colour&quot;<\/li>/,
  );
  assert.match(
    html,
    /<span class="position">11:11<\/span> <code>steps.1.type<\/code> must be one of/,
  );
  assert.match(html, /The pipeline has 2 errors:/);
  assert.match(html, /description: &lt;script>alert\(1\)&lt;\/script>/);
  assert.doesNotMatch(html, /<script>alert/);
  assert.ok(html.includes("\n    colour: blue\n"), "the text is kept");

  const created = await post("/pipelines/new", YAML, "from the editor");
  assert.equal(created.status, 303);
  const location = created.headers.get("location")!;
  assert.match(location, /^\/pipelines\/\d+$/);
  const id = Number(location.split("/").at(-1));
  const [version] = await p.services.db.query<{ message: string }>(
    "select message from pipeline_version where pipeline_id = $1",
    [id],
  );
  assert.equal(version.message, "from the editor");

  // New refuses a name in use (edit that one instead).
  const dup = await post("/pipelines/new", YAML);
  assert.equal(dup.status, 409);
  assert.match(
    await dup.text(),
    /<span class="position">1:7<\/span> <code>name<\/code> a pipeline named &quot;daily&quot; already exists/,
  );

  const edit = await (await p.fetch(`/pipelines/${id}/edit`)).text();
  assert.match(
    edit,
    /name: daily\ndescription: Sales of the day\nsteps:\n {2}- id: read/,
  );
  const saved = await post(
    `/pipelines/${id}/edit`,
    YAML.replace("table: sales", "table: sales_v2").replaceAll("\n", "\r\n"),
  );
  assert.equal(saved.status, 303);
  assert.equal(saved.headers.get("location"), `/pipelines/${id}`);
  const after = await p.fetch(`/api/v1/pipelines/${id}`).then((r) => r.json());
  assert.equal(after.current_version, 2);
  assert.equal(after.definition.steps[1].config.table, "sales_v2");
  const editFailed = await post(`/pipelines/${id}/edit`, "name: [\n");
  assert.equal(editFailed.status, 422);
  assert.match(await editFailed.text(), /<span class="position">2:1<\/span>/);
  assert.equal((await viewer.fetch(`/pipelines/${id}/edit`)).status, 403);
});
