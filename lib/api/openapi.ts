// The OpenAPI 3.1 document of the JSON API, generated from the zod schemas
// the handlers parse with (api_operations.ts): JSON Schema 2020-12 through
// z.toJSONSchema(), shared schemas as $refs under components/schemas, every
// error as problem+json, security from the route policies.

import { z } from "zod";
import { statusText } from "../web/mod.ts";
import { routePolicy } from "../rbac/route_policies.ts";
import {
  API_COMPONENTS,
  API_OPERATIONS,
  type ApiOperation,
  type ApiRequestBody,
  type ApiResponse,
} from "./api_operations.ts";
import { PROBLEM_CONTENT_TYPE } from "./problem_schema.ts";

/** A JSON Schema or OpenAPI object (plain JSON). */
// deno-lint-ignore no-explicit-any
export type JsonObject = Record<string, any>;

/** The media types a pipeline may be sent as YAML in. */
export const YAML_CONTENT_TYPES = [
  "application/yaml",
  "text/yaml",
  "application/x-yaml",
];

const COMPONENT_REF = "#/components/schemas/";
const PROBLEM_REF = { $ref: `${COMPONENT_REF}Problem` };
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "The body can't be read (e.g. not valid JSON)",
  401: "Not signed in, or the API token is unknown, expired or revoked",
  403:
    "The caller's role or ownership does not allow this, or a cross-site request",
  404: "No such resource",
  409: "Conflicts with the resource's state",
  413: "The body is too large",
  415: "The body's media type is not accepted",
  422: "The request is invalid: every failing field is listed in errors",
  429: "Too many attempts: wait Retry-After seconds",
  500: "Unexpected server error (no internals are shown)",
  502: "The connector's server failed or did not answer",
};

const TAGS = [
  { name: "Platform", description: "Health and this document" },
  { name: "Auth", description: "Sign-in, sign-out and the signed-in user" },
  { name: "Tokens", description: "Personal API tokens" },
  { name: "Users", description: "Accounts and roles (admins)" },
  { name: "Audit", description: "Who did what, when (admins)" },
  { name: "Admin", description: "Platform administration" },
  {
    name: "Connectors",
    description: "Sources and targets (secrets write-only)",
  },
  { name: "Uploads", description: "Files and CSV loads" },
  {
    name: "Pipelines",
    description: "Pipelines as code: definitions, versions, diff, rollback",
  },
  { name: "Runs", description: "PipelineRuns, TaskRuns and their logs" },
];

/** `/api/v1/runs/:id` → `/api/v1/runs/{id}`. */
export function openApiPath(route: string): string {
  return route.replace(/:(\w+)\*?/g, "{$1}");
}

/** Options of {@linkcode buildOpenApiDocument}. */
export interface OpenApiOptions {
  /** Where the API is served, e.g. `https://etl.example.com`. */
  origin?: string;
  /** The routes to document (default: all of API_OPERATIONS). */
  operations?: Record<string, ApiOperation>;
}

/** Builds the document (pure; see {@linkcode openApiDocument} for the cached one). */
export function buildOpenApiDocument(options: OpenApiOptions = {}): JsonObject {
  const operations = options.operations ?? API_OPERATIONS;
  const schemas = new SchemaSet();
  const paths: JsonObject = {};
  for (const [key, operation] of Object.entries(operations)) {
    const [method, route] = key.split(" ");
    const path = openApiPath(route);
    paths[path] ??= {};
    paths[path][method.toLowerCase()] = describeOperation(
      method,
      route,
      operation,
      schemas,
    );
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "ETL platform API",
      version: "1",
      description:
        "Connectors, pipelines as code, runs and their logs. Errors are application/problem+json (RFC 9457) with the failing field paths. Authenticate with an API token (Authorization: Bearer etl_…) or the session cookie of a sign-in.",
    },
    servers: [{ url: options.origin ?? "/" }],
    tags: TAGS,
    paths,
    components: {
      schemas: schemas.components,
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: "A personal API token (POST /api/v1/tokens)",
        },
        cookie: {
          type: "apiKey",
          in: "cookie",
          name: "etl_session",
          description: "The session of a sign-in (POST /api/v1/auth/login)",
        },
      },
    },
  };
}

let cached: JsonObject | undefined;

/** The document for this process (built once), served from `origin`. */
export function openApiDocument(origin: string): JsonObject {
  cached ??= buildOpenApiDocument();
  return { ...cached, servers: [{ url: origin }] };
}

function describeOperation(
  method: string,
  route: string,
  operation: ApiOperation,
  schemas: SchemaSet,
): JsonObject {
  const policy = routePolicy(method, route);
  if (!policy) {
    throw new Error(
      `Cannot document ${method} ${route}: it has no entry in ROUTE_POLICIES, add one`,
    );
  }
  const isPublic = "public" in policy;
  const pathParams = [...route.matchAll(/:(\w+)/g)].map((m) => m[1]);
  const parameters = [
    ...pathParams.map((name) => ({
      name,
      in: "path",
      required: true,
      description: operation.params?.[name] ?? name,
      schema: { type: "integer", minimum: 1 },
    })),
    ...(operation.query ? queryParameters(operation.query) : []),
  ];
  // Any request with a bad API token is refused (401), public or not.
  const errors = new Map<number, string>([[401, ""], [500, ""]]);
  const add = (status: number) => errors.set(status, "");
  if (!isPublic || UNSAFE.has(method)) add(403);
  if (pathParams.length > 0) add(404);
  if (operation.query) add(422);
  if (operation.body?.json) [400, 422].forEach(add);
  for (const [status, text] of Object.entries(operation.errors ?? {})) {
    errors.set(Number(status), text);
  }

  const responses: JsonObject = {};
  for (const [status, response] of Object.entries(operation.responses)) {
    responses[status] = describeResponse(response, schemas);
  }
  for (const [status, text] of [...errors].sort(([a], [b]) => a - b)) {
    if (String(status) in responses) continue;
    responses[status] = {
      description: text || ERROR_DESCRIPTIONS[status] || statusText(status),
      content: { [PROBLEM_CONTENT_TYPE]: { schema: PROBLEM_REF } },
    };
  }

  let description = operation.description ?? "";
  if (!isPublic) {
    const on = policy.resource ? ` on this ${policy.resource.type}` : "";
    const requires = policy.permission === "self"
      ? "Any signed-in user, for themselves."
      : `Requires the \`${policy.permission}\` permission${on}.`;
    description = description ? `${description}. ${requires}` : requires;
  } else {
    description = description ? `${description}. Public.` : "Public.";
  }
  const result: JsonObject = {
    operationId: operation.operationId,
    summary: operation.summary,
    description,
    tags: operation.tags,
    security: isPublic ? [] : [{ bearer: [] }, { cookie: [] }],
  };
  if (parameters.length > 0) result.parameters = parameters;
  if (operation.body) {
    result.requestBody = describeBody(operation.body, schemas);
  }
  result.responses = responses;
  return result;
}

function describeBody(body: ApiRequestBody, schemas: SchemaSet): JsonObject {
  const content: JsonObject = {};
  if (body.json) {
    content["application/json"] = { schema: schemas.input(body.json) };
  }
  if (body.yaml) {
    for (const type of YAML_CONTENT_TYPES) {
      content[type] = {
        schema: {
          type: "string",
          description: "The same document as YAML text",
        },
      };
    }
  }
  if (body.binary) {
    content["application/octet-stream"] = {
      schema: { type: "string", contentMediaType: "application/octet-stream" },
    };
  }
  const result: JsonObject = { required: body.required ?? true, content };
  if (body.description) result.description = body.description;
  return result;
}

function describeResponse(
  response: ApiResponse,
  schemas: SchemaSet,
): JsonObject {
  const result: JsonObject = { description: response.description };
  const content: JsonObject = {};
  if (response.json) {
    content[response.jsonType ?? "application/json"] = {
      schema: schemas.output(response.json),
    };
  }
  if (response.yaml) {
    content["application/yaml"] = {
      schema: { type: "string", description: "YAML text" },
    };
  }
  if (response.eventStream) {
    content["text/event-stream"] = {
      schema: { type: "string", description: "Server-Sent Events" },
    };
  }
  if (Object.keys(content).length > 0) result.content = content;
  if (response.headers) {
    result.headers = Object.fromEntries(
      Object.entries(response.headers).map(([name, description]) => [
        name,
        { description, schema: { type: "string" } },
      ]),
    );
  }
  return result;
}

// Each query parameter from one property of the zod object (input side).
function queryParameters(query: z.ZodObject): JsonObject[] {
  const object = toJsonSchema(query, "input", undefined);
  const required = new Set<string>(object.required ?? []);
  return Object.entries(query.shape).map(([name, field]) => {
    let schema: JsonObject = { ...object.properties?.[name] };
    // z.coerce.date() has no JSON Schema: the client sends an ISO date.
    if (Object.keys(schema).length === 0 && isDate(field as z.ZodType)) {
      schema = { type: "string", format: "date-time" };
    }
    const { description, ...rest } = schema;
    const parameter: JsonObject = {
      name,
      in: "query",
      required: required.has(name) && !("default" in rest),
      schema: rest,
    };
    if (description) parameter.description = description;
    return parameter;
  });
}

function isDate(schema: z.ZodType): boolean {
  // deno-lint-ignore no-explicit-any
  const def = (schema as any)._zod.def;
  if (def.type === "date") return true;
  if (def.innerType) return isDate(def.innerType);
  return false;
}

// The component schemas of both sides, and references to them from
// operations: a named schema is a $ref, any other is inlined (its named
// parts as $refs).
class SchemaSet {
  readonly components: JsonObject;
  #input = z.registry<{ id: string }>();
  #output = z.registry<{ id: string }>();

  constructor() {
    const names = new Set<string>();
    const sides = [
      ["input", this.#input, API_COMPONENTS.input],
      ["output", this.#output, API_COMPONENTS.output],
    ] as const;
    this.components = {};
    for (const [io, registry, named] of sides) {
      for (const [name, schema] of Object.entries(named)) {
        if (names.has(name)) {
          throw new Error(
            `Cannot name component "${name}" twice: give the ${io} schema another name`,
          );
        }
        names.add(name);
        registry.add(schema, { id: name });
      }
      const { schemas } = z.toJSONSchema(registry, {
        target: "draft-2020-12",
        io,
        unrepresentable: "any",
        uri: (id) => `${COMPONENT_REF}${id}`,
        override: dropDateTimePattern,
      });
      for (const [name, schema] of Object.entries(schemas)) {
        const { $schema: _, $id: __, ...rest } = schema as JsonObject;
        this.components[name] = rest;
      }
    }
  }

  input(schema: z.ZodType): JsonObject {
    return this.#ref(schema, "input", this.#input);
  }

  output(schema: z.ZodType): JsonObject {
    return this.#ref(schema, "output", this.#output);
  }

  #ref(
    schema: z.ZodType,
    io: "input" | "output",
    registry: z.core.$ZodRegistry<{ id: string }>,
  ): JsonObject {
    const named = registry.get(schema)?.id;
    if (named) return { $ref: `${COMPONENT_REF}${named}` };
    const inline = toJsonSchema(schema, io, registry);
    const defs: JsonObject = inline.$defs ?? {};
    delete inline.$defs;
    for (const name of Object.keys(defs)) {
      if (!(name in this.components)) {
        throw new Error(
          `Cannot inline a schema with an unnamed shared part "${name}": name it in API_COMPONENTS`,
        );
      }
    }
    return JSON.parse(
      JSON.stringify(inline).replaceAll('"#/$defs/', `"${COMPONENT_REF}`),
    );
  }
}

function toJsonSchema(
  schema: z.ZodType,
  io: "input" | "output",
  registry: z.core.$ZodRegistry<{ id: string }> | undefined,
): JsonObject {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, {
    target: "draft-2020-12",
    io,
    unrepresentable: "any",
    override: dropDateTimePattern,
    ...(registry ? { metadata: registry } : {}),
  }) as JsonObject;
  return rest;
}

// `format: date-time` says it; zod's long regex for it only adds noise.
function dropDateTimePattern(ctx: { jsonSchema: JsonObject }): void {
  if (ctx.jsonSchema.format === "date-time") delete ctx.jsonSchema.pattern;
}
