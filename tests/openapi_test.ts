// The OpenAPI document against the running platform: it documents exactly
// the API routes the app answers, is served publicly and valid, and the
// live answers of the main routes (successes and errors, content type
// included) match the schema it documents for their status.

import assert from "node:assert/strict";
import ajv2020 from "ajv/dist/2020.js";
import ajvFormats from "ajv-formats";
import { Validator } from "@seriousme/openapi-schema-validator";
import { type Platform, startPlatform } from "./harness.ts";
import { createApp } from "../app.ts";
import {
  buildOpenApiDocument,
  type JsonObject,
  openApiPath,
} from "../lib/api/openapi.ts";

// CommonJS modules: their default export is the class (the function) itself.
const Ajv2020 = ajv2020 as unknown as typeof ajv2020.default;
const addFormats = ajvFormats as unknown as typeof ajvFormats.default;
type ValidateFunction = ReturnType<InstanceType<typeof Ajv2020>["compile"]>;

/** `METHOD /path` of every API route × method the app answers (HEAD is GET's). */
async function appApiRoutes(p: Platform): Promise<string[]> {
  const app = await createApp(p.services);
  const found: string[] = [];
  for (const route of app.routes()) {
    if (!route.path.startsWith("/api/v1/")) continue;
    assert.ok(route.methods, `${route.path} answers every method`);
    for (const method of route.methods) {
      if (method !== "HEAD") found.push(`${method} ${openApiPath(route.path)}`);
    }
  }
  return found.sort();
}

function documentedRoutes(doc: JsonObject): string[] {
  return Object.entries(doc.paths as JsonObject).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`)
  ).sort();
}

Deno.test("the document covers every API route the app answers, and nothing else", async () => {
  await using p = await startPlatform();
  const app = await appApiRoutes(p);
  const documented = documentedRoutes(buildOpenApiDocument());
  const undocumented = app.filter((route) => !documented.includes(route));
  const missing = documented.filter((route) => !app.includes(route));
  assert.deepEqual(
    { undocumented, missing },
    { undocumented: [], missing: [] },
    "undocumented: answered by the app but not in lib/api/api_operations.ts; " +
      "missing: documented but the app has no such route",
  );
  assert.ok(app.length > 40);
});

Deno.test("GET /api/v1/openapi.json serves the valid document to anyone, with the origin as server", async () => {
  await using p = await startPlatform();
  const response = await p.fetch("/api/v1/openapi.json", {
    headers: { authorization: "" },
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type")!, /^application\/json/);
  const doc = await response.json();
  assert.deepEqual(doc.servers, [{ url: "http://localhost" }]);
  assert.deepEqual(
    doc,
    JSON.parse(JSON.stringify(
      buildOpenApiDocument({ origin: "http://localhost" }),
    )),
  );
  const result = await new Validator().validate(doc);
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
});

/** Checks live answers against the document. */
class Conformance {
  readonly checked: string[] = [];
  #ajv = new Ajv2020({ allErrors: true, strict: false });
  #validators = new Map<string, ValidateFunction>();

  constructor(readonly doc: JsonObject) {
    addFormats(this.#ajv);
  }

  /** Asserts `response` is documented for `method route` and matches; returns its body. */
  async check(
    method: string,
    route: string,
    response: Response,
  ): Promise<unknown> {
    const key = `${method} ${route} → ${response.status}`;
    const op = this.doc.paths[openApiPath(route)]?.[method.toLowerCase()];
    assert.ok(op, `${method} ${route} is documented`);
    const documented = op.responses[String(response.status)];
    const text = await response.text();
    assert.ok(documented, `${key} is a documented status (body: ${text})`);
    if (!documented.content) {
      assert.equal(text, "", `${key} has no body`);
      this.checked.push(key);
      return undefined;
    }
    const type = (response.headers.get("content-type") ?? "").split(";")[0];
    assert.ok(
      type in documented.content,
      `${key}: content-type ${type} is one of ${
        Object.keys(documented.content)
      }`,
    );
    const schema = documented.content[type].schema;
    const body = type.endsWith("json") ? JSON.parse(text) : text;
    const validate = this.#validator(schema);
    assert.ok(
      validate(body),
      `${key}: ${JSON.stringify(validate.errors, null, 2)}\nbody: ${
        JSON.stringify(body).slice(0, 2000)
      }`,
    );
    this.checked.push(key);
    return body;
  }

  #validator(schema: JsonObject) {
    const id = JSON.stringify(schema);
    let validate = this.#validators.get(id);
    if (!validate) {
      // The components ride along so "#/components/schemas/…" resolves.
      validate = this.#ajv.compile({
        ...schema,
        components: { schemas: this.doc.components.schemas },
      });
      this.#validators.set(id, validate);
    }
    return validate;
  }
}

const CSV = "id,name,amount\n1,apple,1.5\n2,pear,2\n";

function json(method: string, body: unknown): RequestInit {
  return {
    method,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  };
}

function yaml(method: string, text: string): RequestInit {
  return {
    method,
    headers: { "content-type": "application/yaml" },
    body: text,
  };
}

// A parsed answer, read freely by the test after its schema was checked.
// deno-lint-ignore no-explicit-any
type Body = any;

/**
 * `call(status, "METHOD /route", path, init)`: fetches `path` as the admin,
 * asserts the status, checks the answer against the document, returns the body.
 */
function caller(p: Platform, c: Conformance) {
  return async (
    status: number,
    operation: string,
    path: string,
    init: RequestInit = {},
  ): Promise<Body> => {
    const [method, route] = operation.split(" ");
    const response = await p.fetch(path, { method, ...init });
    const copy = response.clone();
    assert.equal(
      response.status,
      status,
      `${operation} (${path}): ${await copy.text()}`,
    );
    return await c.check(method, route, response);
  };
}

/** A platform with a CSV connector `fruit` and a pipeline reading it into the warehouse. */
async function withFruitPipeline(p: Platform, c: Conformance) {
  const call = caller(p, c);
  const upload = await call(
    201,
    "POST /api/v1/uploads",
    "/api/v1/uploads?filename=fruit.csv",
    { body: CSV },
  );
  const path = `${p.services.uploadsDir}/${upload.name}`;
  const connector = await call(
    201,
    "POST /api/v1/connectors",
    "/api/v1/connectors",
    json("POST", { name: "fruit", kind: "csv", config: { path } }),
  );
  const definition = {
    name: "fruit_to_warehouse",
    description: "Fruit into the warehouse",
    steps: [
      { id: "read", type: "extract", connector: "fruit" },
      {
        id: "write",
        type: "load",
        needs: ["read"],
        connector: "warehouse",
        config: { table: "fruit", mode: "replace" },
      },
    ],
  };
  const saved = await call(
    201,
    "POST /api/v1/pipelines",
    "/api/v1/pipelines?message=first",
    json("POST", definition),
  );
  assert.equal(saved.action, "create");
  return { upload, path, connector, definition, saved };
}

Deno.test("live answers of the main routes match the documented schemas", async () => {
  await using p = await startPlatform();
  const c = new Conformance(buildOpenApiDocument());
  const call = caller(p, c);

  await call(200, "GET /api/v1/health", "/api/v1/health");
  await call(200, "GET /api/v1/me", "/api/v1/me");

  // Tokens.
  const token = await call(
    201,
    "POST /api/v1/tokens",
    "/api/v1/tokens",
    json("POST", { name: "ci", expiresInDays: 30 }),
  );
  assert.match(token.token, /^etl_/);
  await call(200, "GET /api/v1/tokens", "/api/v1/tokens");
  await call(204, "DELETE /api/v1/tokens/:id", `/api/v1/tokens/${token.id}`);

  // Users.
  const user = await call(
    201,
    "POST /api/v1/users",
    "/api/v1/users",
    json("POST", {
      email: "new@example.test",
      name: "New",
      role: "editor",
      password: "a long enough password",
    }),
  );
  await call(200, "GET /api/v1/users", "/api/v1/users");
  await call(200, "GET /api/v1/users/:id", `/api/v1/users/${user.id}`);
  await call(
    200,
    "PUT /api/v1/users/:id",
    `/api/v1/users/${user.id}`,
    json("PUT", { name: "Renamed" }),
  );

  // Connectors and a pipeline over an uploaded CSV file.
  await call(200, "GET /api/v1/connector-kinds", "/api/v1/connector-kinds");
  const { upload, path, connector, saved } = await withFruitPipeline(p, c);
  await call(200, "GET /api/v1/connectors", "/api/v1/connectors");
  const one = `/api/v1/connectors/${connector.id}`;
  await call(200, "GET /api/v1/connectors/:id", one);
  await call(200, "PUT /api/v1/connectors/:id", one, json("PUT", connector));
  const tested = await call(
    200,
    "POST /api/v1/connectors/:id/test",
    `${one}/test`,
  );
  assert.equal(tested.ok, true, JSON.stringify(tested));
  await call(200, "GET /api/v1/connectors/:id/schema", `${one}/schema`);
  await call(
    200,
    "POST /api/v1/connectors/:id/preview",
    `${one}/preview`,
    json("POST", { path, limit: 5 }),
  );
  await call(
    200,
    "PUT /api/v1/connectors/:id/shares",
    `${one}/shares`,
    json("PUT", { userIds: [user.id] }),
  );
  await call(200, "GET /api/v1/connectors/:id/shares", `${one}/shares`);

  // Pipelines: read, run, runs, logs.
  const pipeline = `/api/v1/pipelines/${saved.id}`;
  await call(200, "GET /api/v1/pipelines", "/api/v1/pipelines");
  await call(200, "GET /api/v1/pipelines/:id", pipeline);
  const started = await call(
    201,
    "POST /api/v1/pipelines/:id/runs",
    `${pipeline}/runs`,
    json("POST", {}),
  );
  const run = await p.waitForRun(started.id);
  assert.equal(run.status, "SUCCESS", JSON.stringify(run));
  await call(200, "GET /api/v1/runs", "/api/v1/runs");
  await call(200, "GET /api/v1/runs", `/api/v1/runs?pipeline_id=${saved.id}`);
  const runView = await call(
    200,
    "GET /api/v1/runs/:id",
    `/api/v1/runs/${started.id}`,
  );
  assert.equal(runView.tasks.length, 2);
  const logs = await call(
    200,
    "GET /api/v1/runs/:id/tasks/:taskId/logs",
    `/api/v1/runs/${started.id}/tasks/${runView.tasks[0].id}/logs`,
  );
  assert.ok(logs.length > 0);
  await call(
    200,
    "PUT /api/v1/pipelines/:id/shares",
    `${pipeline}/shares`,
    json("PUT", { userIds: [] }),
  );
  await call(200, "GET /api/v1/pipelines/:id/shares", `${pipeline}/shares`);
  const csvLoad = await call(
    201,
    "POST /api/v1/csv-loads",
    "/api/v1/csv-loads",
    json("POST", { upload: upload.name, table: "fruit_csv" }),
  );
  await p.waitForRun(csvLoad.run_id);
  await call(200, "GET /api/v1/audit", "/api/v1/audit?limit=50");

  // Errors: every one problem+json, in the documented shape.
  const invalid = await call(
    422,
    "POST /api/v1/users",
    "/api/v1/users",
    json("POST", { email: "not an email", role: "boss", password: "short" }),
  );
  assert.ok(invalid.errors.length >= 3, JSON.stringify(invalid));
  await call(400, "POST /api/v1/tokens", "/api/v1/tokens", {
    headers: { "content-type": "application/json" },
    body: "{",
  });
  await call(404, "GET /api/v1/runs/:id", "/api/v1/runs/999999");
  await call(409, "DELETE /api/v1/connectors/:id", "/api/v1/connectors/1");
  await call(401, "GET /api/v1/me", "/api/v1/me", {
    headers: { authorization: "" },
  });
  await call(401, "GET /api/v1/health", "/api/v1/health", {
    headers: { authorization: "Bearer etl_unknown" },
  });
  const viewer = await p.createUser("viewer");
  const asViewer = { headers: { authorization: `Bearer ${viewer.token}` } };
  await call(403, "POST /api/v1/connectors", "/api/v1/connectors", {
    ...json("POST", { name: "nope", kind: "csv", config: { path } }),
    ...asViewer,
  });
  await call(403, "GET /api/v1/users", "/api/v1/users", asViewer);

  // A connector no pipeline uses can go.
  const spare = await call(
    201,
    "POST /api/v1/connectors",
    "/api/v1/connectors",
    json("POST", { name: "spare", kind: "csv", config: { path } }),
  );
  await call(
    204,
    "DELETE /api/v1/connectors/:id",
    `/api/v1/connectors/${spare.id}`,
  );
  assert.ok(c.checked.length >= 40, c.checked.join("\n"));
});

Deno.test("live answers of the pipelines-as-code routes match the documented schemas", async () => {
  await using p = await startPlatform();
  const c = new Conformance(buildOpenApiDocument());
  const call = caller(p, c);
  const { definition, saved } = await withFruitPipeline(p, c);
  const pipeline = `/api/v1/pipelines/${saved.id}`;
  const changed = { ...definition, description: "Fruit, again" };
  const text = [
    "name: fruit_to_warehouse",
    "description: Fruit, as YAML",
    "steps:",
    "  - id: read",
    "    type: extract",
    "    connector: fruit",
    "  - id: write",
    "    type: load",
    "    needs: [read]",
    "    connector: warehouse",
    "    config: { table: fruit, mode: replace }",
    "",
  ].join("\n");

  const plan = await call(
    200,
    "POST /api/v1/pipelines",
    "/api/v1/pipelines?dry_run=1",
    json("POST", changed),
  );
  assert.equal(plan.action, "update");
  const v2 = await call(
    201,
    "POST /api/v1/pipelines",
    "/api/v1/pipelines?message=yaml",
    yaml("POST", text),
  );
  assert.deepEqual([v2.action, v2.version], ["update", 2]);
  const same = await call(
    200,
    "POST /api/v1/pipelines",
    "/api/v1/pipelines",
    yaml("POST", text),
  );
  assert.equal(same.action, "unchanged");
  const v3 = await call(
    200,
    "PUT /api/v1/pipelines/:id",
    pipeline,
    json("PUT", changed),
  );
  assert.equal(v3.version, 3);
  await call(200, "GET /api/v1/pipelines/:id/versions", `${pipeline}/versions`);
  await call(
    200,
    "GET /api/v1/pipelines/:id/versions/:version",
    `${pipeline}/versions/1`,
  );
  await call(
    200,
    "GET /api/v1/pipelines/:id/diff",
    `${pipeline}/diff?from=1&to=3`,
  );
  await call(
    201,
    "POST /api/v1/pipelines/:id/rollback",
    `${pipeline}/rollback`,
    json("POST", { version: 1, message: "back" }),
  );
  await call(200, "GET /api/v1/pipelines/:id/export", `${pipeline}/export`);
  await call(
    200,
    "GET /api/v1/pipelines/:id/export",
    `${pipeline}/export?format=json`,
  );
  await call(
    200,
    "GET /api/v1/schema/pipeline.json",
    "/api/v1/schema/pipeline.json",
    {
      headers: { authorization: "" },
    },
  );

  // Validation errors: every one at once, with line and column for YAML.
  const broken = await call(
    422,
    "POST /api/v1/pipelines",
    "/api/v1/pipelines",
    yaml(
      "POST",
      text.replace("needs: [read]", "needs: [nowhere]")
        .replace("type: extract", "type: extrakt"),
    ),
  );
  assert.ok(broken.errors.length >= 2, JSON.stringify(broken));
  assert.ok(broken.errors.every((e: { line?: number }) => e.line! >= 1));
  await call(422, "GET /api/v1/pipelines/:id/diff", `${pipeline}/diff?from=x`);
  await call(
    404,
    "GET /api/v1/pipelines/:id/versions/:version",
    `${pipeline}/versions/99`,
  );
  await call(
    422,
    "POST /api/v1/pipelines/:id/runs",
    `${pipeline}/runs`,
    json("POST", { params: { nope: 1 } }),
  );
  await call(204, "DELETE /api/v1/pipelines/:id", pipeline);
  await call(404, "GET /api/v1/pipelines/:id", pipeline);
});
