import assert from "node:assert/strict";
import { z } from "zod";
import { Validator } from "@seriousme/openapi-schema-validator";
import {
  buildOpenApiDocument,
  type JsonObject,
  openApiDocument,
  openApiPath,
} from "./openapi.ts";
import { API_OPERATIONS } from "./api_operations.ts";
import { PROBLEM_CONTENT_TYPE, problemSchema } from "./problem_schema.ts";
import { ProblemError, problemResponse } from "./problem.ts";
import { pipelineSchema } from "../pipeline/pipeline_schema.ts";
import { newUserSchema } from "../auth/users.ts";
import { routePolicy } from "../rbac/route_policies.ts";

const METHODS = ["get", "put", "post", "delete", "patch"];

/** Every operation of the document: [`METHOD /path`, operation]. */
function operations(doc: JsonObject): [string, JsonObject][] {
  return Object.entries(doc.paths as JsonObject).flatMap(([path, item]) =>
    METHODS.filter((m) => m in item).map((m) =>
      [`${m.toUpperCase()} ${path}`, item[m]] as [string, JsonObject]
    )
  );
}

function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, found));
  else if (value && typeof value === "object") {
    for (const [key, v] of Object.entries(value)) {
      if (key === "$ref" && typeof v === "string") found.push(v);
      else refsIn(v, found);
    }
  }
  return found;
}

Deno.test("the document is valid OpenAPI 3.1 for an independent validator", async () => {
  const doc = buildOpenApiDocument({ origin: "https://etl.example.com" });
  assert.equal(doc.openapi, "3.1.0");
  const result = await new Validator().validate(doc);
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
});

Deno.test("the validator would notice a broken document", async () => {
  const doc = structuredClone(buildOpenApiDocument());
  delete doc.paths["/api/v1/health"].get.responses;
  doc.paths["/api/v1/me"].get.parameters = [{ name: "x", in: "nowhere" }];
  const result = await new Validator().validate(doc);
  assert.equal(result.valid, false);
});

Deno.test("every operation of API_OPERATIONS is documented under its {param} path", () => {
  const doc = buildOpenApiDocument();
  const documented = operations(doc).map(([key]) => key).sort();
  const expected = Object.keys(API_OPERATIONS).map((key) => {
    const [method, route] = key.split(" ");
    return `${method} ${openApiPath(route)}`;
  }).sort();
  assert.deepEqual(documented, expected);
  assert.equal(
    openApiPath("/api/v1/runs/:id/tasks/:taskId/logs"),
    "/api/v1/runs/{id}/tasks/{taskId}/logs",
  );
  const ids = operations(doc).map(([, op]) => op.operationId);
  assert.equal(new Set(ids).size, ids.length, "operationIds are unique");
  for (const [key, op] of operations(doc)) {
    for (const name of key.matchAll(/\{(\w+)\}/g)) {
      assert.ok(
        op.parameters?.some((p: JsonObject) =>
          p.in === "path" && p.name === name[1] && p.required
        ),
        `${key} declares path parameter ${name[1]}`,
      );
    }
  }
});

Deno.test("every 4xx/5xx response is problem+json referencing the Problem schema", () => {
  const doc = buildOpenApiDocument();
  // Health answers 503 with its own status body, for load balancers.
  const notProblems = new Set(["GET /api/v1/health 503"]);
  let errors = 0;
  for (const [key, op] of operations(doc)) {
    assert.ok(op.responses["500"], `${key} documents 500`);
    for (const [status, response] of Object.entries(op.responses)) {
      if (Number(status) < 400 || notProblems.has(`${key} ${status}`)) {
        continue;
      }
      errors++;
      assert.deepEqual(
        Object.keys((response as JsonObject).content),
        [PROBLEM_CONTENT_TYPE],
        `${key} ${status}`,
      );
      assert.deepEqual(
        (response as JsonObject).content[PROBLEM_CONTENT_TYPE].schema,
        { $ref: "#/components/schemas/Problem" },
        `${key} ${status}`,
      );
    }
  }
  assert.ok(errors > 100);
  const problem = doc.components.schemas.Problem;
  assert.deepEqual(problem.required, ["type", "title", "status", "detail"]);
  assert.deepEqual(problem.properties.errors.items, {
    $ref: "#/components/schemas/FieldError",
  });
  assert.deepEqual(
    Object.keys(doc.components.schemas.FieldError.properties),
    ["field", "message", "line", "column"],
  );
});

Deno.test("problemResponse() writes what problemSchema documents", async () => {
  const response = problemResponse(
    new ProblemError(422, "Invalid pipeline: steps.1.needs.0: unknown", [
      { field: "steps.1.needs.0", message: "unknown", line: 7, column: 5 },
    ]),
  );
  assert.equal(response.headers.get("content-type"), PROBLEM_CONTENT_TYPE);
  const body = await response.json();
  assert.deepEqual(problemSchema.strict().parse(body), body);
  const crash = await problemResponse(new Error("secret internals")).json();
  assert.deepEqual(problemSchema.strict().parse(crash), crash);
});

Deno.test("security follows the route policies: public routes need nothing, others a token or the session cookie", () => {
  const doc = buildOpenApiDocument();
  assert.deepEqual(Object.keys(doc.components.securitySchemes), [
    "bearer",
    "cookie",
  ]);
  assert.deepEqual(doc.components.securitySchemes.cookie, {
    type: "apiKey",
    in: "cookie",
    name: "etl_session",
    description: "The session of a sign-in (POST /api/v1/auth/login)",
  });
  for (const key of Object.keys(API_OPERATIONS)) {
    const [method, route] = key.split(" ");
    const op = doc.paths[openApiPath(route)][method.toLowerCase()];
    const policy = routePolicy(method, route)!;
    if ("public" in policy) {
      assert.deepEqual(op.security, [], key);
    } else {
      assert.deepEqual(op.security, [{ bearer: [] }, { cookie: [] }], key);
      assert.ok(op.responses["403"], key);
    }
    assert.ok(op.responses["401"], `${key}: a bad token is always a 401`);
  }
  const publicOps = Object.keys(API_OPERATIONS).filter((key) => {
    const [method, route] = key.split(" ");
    return "public" in routePolicy(method, route)!;
  });
  assert.deepEqual(publicOps.sort(), [
    "GET /api/v1/health",
    "GET /api/v1/openapi.json",
    "GET /api/v1/schema/pipeline.json",
    "POST /api/v1/auth/login",
  ]);
});

Deno.test("request bodies are the handlers' own zod schemas, JSON and YAML for pipelines", () => {
  const doc = buildOpenApiDocument();
  const plain = (schema: z.ZodType, io: "input" | "output") => {
    const { $schema: _, ...rest } = z.toJSONSchema(schema, {
      target: "draft-2020-12",
      io,
      unrepresentable: "any",
    }) as JsonObject;
    return JSON.parse(
      JSON.stringify(
        rest,
        (key, value) => key === "pattern" ? undefined : value,
      ),
    );
  };
  const noPatterns = (value: unknown) =>
    JSON.parse(
      JSON.stringify(value, (key, v) => key === "pattern" ? undefined : v),
    );
  const { schemas } = doc.components;
  assert.deepEqual(
    noPatterns(schemas.PipelineDefinitionInput),
    plain(pipelineSchema, "input"),
  );
  assert.deepEqual(
    noPatterns(schemas.PipelineDefinition),
    plain(pipelineSchema, "output"),
  );
  assert.deepEqual(noPatterns(schemas.NewUser), plain(newUserSchema, "input"));
  for (const path of ["/api/v1/pipelines", "/api/v1/pipelines/{id}"]) {
    const method = path.endsWith("}") ? "put" : "post";
    const content = doc.paths[path][method].requestBody.content;
    assert.deepEqual(Object.keys(content), [
      "application/json",
      "application/yaml",
      "text/yaml",
      "application/x-yaml",
    ]);
    assert.deepEqual(content["application/json"].schema, {
      $ref: "#/components/schemas/PipelineDefinitionInput",
    });
    assert.equal(content["application/yaml"].schema.type, "string");
  }
  const createUser = doc.paths["/api/v1/users"].post;
  assert.deepEqual(createUser.requestBody.content["application/json"].schema, {
    $ref: "#/components/schemas/NewUser",
  });
  assert.deepEqual(
    createUser.responses["201"].content["application/json"].schema,
    { $ref: "#/components/schemas/User" },
  );
});

Deno.test("every $ref points at a component, and query parameters come from the zod query schema", () => {
  const doc = buildOpenApiDocument();
  for (const ref of refsIn(doc)) {
    const name = ref.replace("#/components/schemas/", "");
    assert.ok(ref.startsWith("#/components/schemas/"), ref);
    assert.ok(name in doc.components.schemas, `${ref} resolves`);
  }
  const audit = doc.paths["/api/v1/audit"].get.parameters;
  assert.deepEqual(
    audit.map((p: JsonObject) => [p.name, p.in, p.required, p.schema.type]),
    [
      ["actor", "query", false, "string"],
      ["action", "query", false, "string"],
      ["target_type", "query", false, "string"],
      ["target_id", "query", false, "string"],
      ["since", "query", false, "string"],
      ["until", "query", false, "string"],
      ["before", "query", false, "integer"],
      ["limit", "query", false, "integer"],
    ],
  );
  assert.equal(audit[4].schema.format, "date-time");
  const exportParams = doc.paths["/api/v1/pipelines/{id}/export"].get
    .parameters;
  assert.deepEqual(exportParams[1], {
    name: "format",
    in: "query",
    required: false,
    schema: { type: "string", enum: ["yaml", "json"], default: "yaml" },
  });
});

Deno.test("openApiDocument() is built once and names the origin it is served from", () => {
  const a = openApiDocument("http://localhost:8000");
  const b = openApiDocument("https://etl.example.com");
  assert.deepEqual(a.servers, [{ url: "http://localhost:8000" }]);
  assert.deepEqual(b.servers, [{ url: "https://etl.example.com" }]);
  assert.equal(a.paths, b.paths);
  assert.equal(a.components, b.components);
});
