// What the OpenAPI document says about each API route: keyed "METHOD /path"
// exactly as the router and route_policies.ts name it. Request schemas are
// the ones the handlers parse with; response schemas mirror the views the
// handlers return (run_view.ts, connector_store.ts, users.ts, ...). Errors
// (problem+json) and security are added by openapi.ts from the route's
// policy, path parameters and body.

import { runsQuerySchema } from "../engine/runs_query.ts";
import { credentialsSchema, logoutSchema } from "../auth/auth_requests.ts";
import {
  connectorChangesSchema,
  newConnectorSchema,
} from "../connector/connector_requests.ts";
import { z } from "zod";
import { pipelineSchema } from "../pipeline/pipeline_schema.ts";
import { csvLoadSchema } from "../pipeline/csv_load.ts";
import { startRunBodySchema } from "../pipeline/params.ts";
import { newUserSchema, userChangesSchema } from "../auth/users.ts";
import { newTokenSchema } from "../auth/api_tokens.ts";
import { ROLES } from "../auth/principal.ts";
import { sharesSchema } from "../rbac/shares.ts";
import { auditQuerySchema } from "../audit/audit_query.ts";
import { previewRequestSchema } from "../connector/connector_actions.ts";
import {
  rollbackRequestSchema,
  rollbackResultSchema,
  versionDiffSchema,
  versionSummarySchema,
} from "../pipeline/pipeline_versions.ts";
import { fieldErrorSchema, problemSchema } from "./problem_schema.ts";

/** A request body an operation accepts. */
export interface ApiRequestBody {
  /** `application/json` body (input side of the schema). */
  json?: z.ZodType;
  /** Also accepts the same document as YAML text (pipelines). */
  yaml?: boolean;
  /** The raw body is a file (`application/octet-stream`). */
  binary?: boolean;
  /** Whether a body must be sent (default true). */
  required?: boolean;
  description?: string;
}

/** One documented response (success, or an error that is not a problem). */
export interface ApiResponse {
  description: string;
  /** JSON body (output side of the schema); none for e.g. 204. */
  json?: z.ZodType;
  /** The JSON body's media type (default `application/json`). */
  jsonType?: string;
  /** The body may also be YAML text. */
  yaml?: boolean;
  /** A `text/event-stream`. */
  eventStream?: boolean;
  /** Response headers worth naming, with their descriptions. */
  headers?: Record<string, string>;
}

/** What the document says about one route × method. */
export interface ApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  /** Descriptions of the path parameters (each is a positive integer). */
  params?: Record<string, string>;
  /** Query parameters: each property of the object is one parameter. */
  query?: z.ZodObject;
  body?: ApiRequestBody;
  /** Responses by status; problem+json errors are added by openapi.ts. */
  responses: Record<number, ApiResponse>;
  /**
   * Error statuses (problem+json) beyond those openapi.ts adds to every
   * operation, each with what it means here ("" for the usual meaning).
   */
  errors?: Record<number, string>;
}

const id = () => z.number().int().positive();
const dateTime = () => z.iso.datetime();
const nullableDateTime = () => z.iso.datetime().nullable();

// ---------------------------------------------------------------------------
// Response shapes.

/** GET /api/v1/health. */
export const healthSchema = z.object({
  status: z.enum(["ok", "degraded"]),
  database: z.object({
    backend: z.enum(["pglite", "postgres"]),
    status: z.enum(["ok", "unreachable"]),
  }),
});

const grantSchema = z.union([z.boolean(), z.enum(["own", "owner"])]).describe(
  'true: on anything; "own": on what the user owns or was shared; "owner": only on what they own',
);

/** GET /api/v1/me. */
export const meSchema = z.object({
  id: id(),
  email: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  via: z.enum(["session", "token"]).describe("How the request signed in"),
  permissions: z.record(z.string(), grantSchema).describe(
    "What the user's role grants, by permission",
  ),
});

/** A user (lib/auth/users.ts UserView). */
export const userViewSchema = z.object({
  id: id(),
  email: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  active: z.boolean(),
  createdAt: dateTime(),
});

/** An API token as listed (lib/auth/api_tokens.ts ApiTokenView). */
export const apiTokenViewSchema = z.object({
  id: id(),
  name: z.string(),
  prefix: z.string().describe("The first characters, to recognise the token"),
  createdAt: dateTime(),
  expiresAt: nullableDateTime(),
  lastUsedAt: nullableDateTime(),
  revokedAt: nullableDateTime(),
});

/** A new API token, with its secret (shown once). */
export const newApiTokenSchema = apiTokenViewSchema.extend({
  token: z.string().describe(
    "The secret (etl_…): send it as Authorization: Bearer; it can't be shown again",
  ),
});

/** An audit event (lib/audit/audit_log.ts AuditEvent). */
export const auditEventSchema = z.object({
  id: id(),
  at: dateTime(),
  actorId: id().nullable(),
  actor: z.string(),
  action: z.string().describe("e.g. connector.create, pipeline.run"),
  targetType: z.string().nullable(),
  targetId: z.string().nullable(),
  targetName: z.string().nullable(),
  ip: z.string(),
  detail: z.record(z.string(), z.unknown()),
});

/** A connector (lib/connector/connector_store.ts ConnectorView). */
export const connectorViewSchema = z.object({
  id: id(),
  name: z.string(),
  kind: z.string(),
  config: z.record(z.string(), z.unknown()).describe(
    "Settings; a secret field that is set shows as { set: true }, never its value",
  ),
  builtin: z.boolean(),
  createdAt: dateTime(),
  updatedAt: dateTime(),
});

/** A connector kind (lib/connector/connector_actions.ts ConnectorKindInfo). */
export const connectorKindSchema = z.object({
  name: z.string(),
  label: z.string(),
  canRead: z.boolean(),
  canWrite: z.boolean(),
  creatable: z.boolean().describe("False for kinds that only exist built in"),
  secretFields: z.array(z.string()),
  schema: z.record(z.string(), z.unknown()).describe(
    "JSON Schema of the kind's config; secret properties carry secret: true",
  ),
});

/** A column of a record batch (connectors/types.ts Column). */
export const columnSchema = z.object({
  name: z.string(),
  type: z.enum([
    "text",
    "bigint",
    "double",
    "numeric",
    "boolean",
    "date",
    "timestamptz",
    "json",
  ]),
});

const connectorTestSchema = z.union([
  z.object({ ok: z.literal(true), version: z.string().optional() }),
  z.object({
    ok: z.literal(false),
    error: z.object({
      kind: z.string().describe(
        "connection, auth, schema, data, timeout, config or connector",
      ),
      message: z.string(),
    }),
  }),
]).describe("A failing connection is an answer (ok: false), not an error");

const connectorSchemaSchema = z.object({
  tables: z.array(z.object({
    schema: z.string().optional(),
    name: z.string(),
    columns: z.array(columnSchema),
  })),
});

const previewSchema = z.object({
  columns: z.array(columnSchema),
  rows: z.array(z.array(z.unknown())).describe(
    "Rows in column order; bigints as text, bytes as \\x hex, dates as ISO strings",
  ),
});

/** One user a resource is shared with (lib/rbac/shares.ts Share). */
export const shareSchema = z.object({ userId: id(), email: z.string() });

/** A pipeline with its current definition. */
export const pipelineViewSchema = z.object({
  id: id(),
  name: z.string(),
  description: z.string(),
  current_version: id(),
  definition: pipelineSchema,
  updated_at: dateTime(),
});

/** What saving a pipeline did. */
export const pipelineSaveResultSchema = z.object({
  id: id(),
  name: z.string(),
  version: id(),
  action: z.enum(["create", "update", "unchanged"]).describe(
    "create: a new pipeline; update: a new version; unchanged: the definition is the current one",
  ),
});

/** What saving would do (`?dry_run=1`): nothing is saved. */
export const pipelinePlanSchema = z.object({
  name: z.string(),
  action: z.enum(["create", "update", "unchanged"]),
  version: id().optional().describe("The version the save would create"),
});

/** One saved version with its definition (`GET …/versions/{version}`). */
export const pipelineVersionSchema = versionSummarySchema.extend({
  definition: pipelineSchema,
});

const taskStatus = z.enum([
  "PENDING",
  "RUNNING",
  "SUCCESS",
  "FAILURE",
  "CANCELLED",
  "SKIPPED",
]);

/** A TaskRun (lib/engine/run_view.ts TaskRunView). */
export const taskRunViewSchema = z.object({
  id: id(),
  step_key: z.string(),
  step_type: z.string(),
  needs: z.array(z.string()),
  status: taskStatus,
  attempt: z.number().int().min(0),
  rows_in: z.number().int().nullable(),
  rows_out: z.number().int().nullable(),
  error: z.string().nullable(),
  started_at: nullableDateTime(),
  finished_at: nullableDateTime(),
  duration_ms: z.number().nullable(),
});

/** A PipelineRun without its tasks, as listed. */
export const runSummarySchema = z.object({
  id: id(),
  pipeline_id: id(),
  pipeline_name: z.string(),
  version: id().describe("The pipeline version the run runs"),
  status: taskStatus.exclude(["SKIPPED"]),
  trigger: z.string(),
  error: z.string().nullable(),
  waiting: z.string().nullable().describe(
    "Why a PENDING run has not started: its pipeline's max_concurrent_runs runs are going",
  ),
  scheduled_for: nullableDateTime().describe(
    "The schedule occurrence a scheduled run is for",
  ),
  created_at: dateTime(),
  started_at: nullableDateTime(),
  finished_at: nullableDateTime(),
  duration_ms: z.number().nullable(),
});

/** A PipelineRun with its TaskRuns (lib/engine/run_view.ts RunView). */
export const runViewSchema = runSummarySchema.extend({
  tasks: z.array(taskRunViewSchema),
});

const taskLogSchema = z.object({
  at: dateTime(),
  level: z.string(),
  message: z.string(),
});

const jsonSchemaDocument = z.record(z.string(), z.unknown());

/**
 * Shared schemas, named in components/schemas: `output` for responses,
 * `input` for request bodies (a schema used on both sides gets two names).
 */
export const API_COMPONENTS: {
  input: Record<string, z.ZodType>;
  output: Record<string, z.ZodType>;
} = {
  input: {
    PipelineDefinitionInput: pipelineSchema,
    NewUser: newUserSchema,
    UserChanges: userChangesSchema,
    NewApiToken: newTokenSchema,
    Shares: sharesSchema,
    CsvLoadRequest: csvLoadSchema,
    PreviewRequest: previewRequestSchema,
    RunRequest: startRunBodySchema,
    RollbackRequest: rollbackRequestSchema,
  },
  output: {
    Problem: problemSchema,
    FieldError: fieldErrorSchema,
    Health: healthSchema,
    Me: meSchema,
    User: userViewSchema,
    ApiToken: apiTokenViewSchema,
    ApiTokenWithSecret: newApiTokenSchema,
    AuditEvent: auditEventSchema,
    Connector: connectorViewSchema,
    ConnectorKind: connectorKindSchema,
    Column: columnSchema,
    Share: shareSchema,
    PipelineDefinition: pipelineSchema,
    Pipeline: pipelineViewSchema,
    PipelineSaveResult: pipelineSaveResultSchema,
    PipelinePlan: pipelinePlanSchema,
    PipelineVersionSummary: versionSummarySchema,
    PipelineVersion: pipelineVersionSchema,
    RunSummary: runSummarySchema,
    Run: runViewSchema,
    TaskRun: taskRunViewSchema,
  },
};

// ---------------------------------------------------------------------------
// The operations.

const CONNECTOR_ID = { id: "Connector id" };
const PIPELINE_ID = { id: "Pipeline id" };
const RUN_ID = { id: "Run id" };
const PIPELINE_BODY: ApiRequestBody = {
  json: pipelineSchema,
  yaml: true,
  description:
    "A pipeline definition as JSON, or as YAML (application/yaml, text/yaml, application/x-yaml)",
};
const saveQuery = z.object({
  message: z.string().max(2000).optional().describe(
    "Message of the new version",
  ),
});
const sharesOps = (
  type: "connector" | "pipeline",
  tag: string,
  params: Record<string, string>,
): Record<string, ApiOperation> => ({
  [`GET /api/v1/${type}s/:id/shares`]: {
    operationId: `list${tag.slice(0, -1)}Shares`,
    summary: `Who the ${type} is shared with`,
    tags: [tag],
    params,
    responses: { 200: { description: "Shares", json: z.array(shareSchema) } },
  },
  [`PUT /api/v1/${type}s/:id/shares`]: {
    operationId: `set${tag.slice(0, -1)}Shares`,
    summary: `Replace who the ${type} is shared with`,
    description:
      "Shared editors may edit and use it; an unknown user id is a 422 naming the entry",
    tags: [tag],
    params,
    body: { json: sharesSchema },
    responses: {
      200: { description: "The new shares", json: z.array(shareSchema) },
    },
  },
});

/** Every API route × method (HEAD is GET's), keyed as the router names it. */
export const API_OPERATIONS: Record<string, ApiOperation> = {
  "GET /api/v1/health": {
    operationId: "getHealth",
    summary: "Liveness and database reachability",
    tags: ["Platform"],
    responses: {
      200: { description: "Up, database reachable", json: healthSchema },
      503: { description: "The database does not answer", json: healthSchema },
    },
  },
  "GET /api/v1/openapi.json": {
    operationId: "getOpenApi",
    summary: "This OpenAPI 3.1 document",
    tags: ["Platform"],
    responses: {
      200: { description: "The OpenAPI document", json: jsonSchemaDocument },
    },
  },
  "GET /api/v1/schema/pipeline.json": {
    operationId: "getPipelineJsonSchema",
    summary: "JSON Schema of the pipeline format",
    description:
      "For editors: `# yaml-language-server: $schema=<this URL>` in a pipeline YAML file",
    tags: ["Pipelines"],
    responses: {
      200: {
        description: "A JSON Schema (2020-12)",
        json: jsonSchemaDocument,
        jsonType: "application/schema+json",
      },
    },
  },

  // Sign-in, the caller, tokens.
  "POST /api/v1/auth/login": {
    operationId: "login",
    summary: "Sign in: a session cookie",
    tags: ["Auth"],
    body: {
      json: credentialsSchema,
    },
    responses: {
      200: {
        description: "Signed in",
        json: z.object({
          user: z.object({ id: id(), email: z.string(), role: z.enum(ROLES) }),
        }),
        headers: { "set-cookie": "The session cookie etl_session" },
      },
    },
    errors: {
      401: "Wrong email or password",
      429: "Too many failed sign-ins: wait Retry-After seconds",
    },
  },
  "POST /api/v1/auth/logout": {
    operationId: "logout",
    summary: "Sign out this session, or every session of the user",
    tags: ["Auth"],
    body: {
      required: false,
      json: logoutSchema,
    },
    responses: {
      200: {
        description: "Sessions ended",
        json: z.object({ ended: z.number().int().min(0) }),
      },
    },
  },
  "GET /api/v1/me": {
    operationId: "getMe",
    summary: "The signed-in user and what their role allows",
    tags: ["Auth"],
    responses: { 200: { description: "The caller", json: meSchema } },
  },
  "GET /api/v1/tokens": {
    operationId: "listTokens",
    summary: "The caller's API tokens",
    tags: ["Tokens"],
    responses: {
      200: { description: "Tokens", json: z.array(apiTokenViewSchema) },
    },
  },
  "POST /api/v1/tokens": {
    operationId: "createToken",
    summary: "Create an API token (its secret is shown once)",
    tags: ["Tokens"],
    body: { json: newTokenSchema },
    responses: {
      201: { description: "The token and its secret", json: newApiTokenSchema },
    },
  },
  "DELETE /api/v1/tokens/:id": {
    operationId: "revokeToken",
    summary: "Revoke one of the caller's tokens",
    tags: ["Tokens"],
    params: { id: "Token id" },
    responses: { 204: { description: "Revoked" } },
  },

  // Administration.
  "GET /api/v1/users": {
    operationId: "listUsers",
    summary: "Every account",
    tags: ["Users"],
    responses: { 200: { description: "Users", json: z.array(userViewSchema) } },
  },
  "POST /api/v1/users": {
    operationId: "createUser",
    summary: "Create an account",
    tags: ["Users"],
    body: { json: newUserSchema },
    responses: { 201: { description: "Created", json: userViewSchema } },
    errors: { 409: "The email already has an account" },
  },
  "GET /api/v1/users/:id": {
    operationId: "getUser",
    summary: "One account",
    tags: ["Users"],
    params: { id: "User id" },
    responses: { 200: { description: "The user", json: userViewSchema } },
  },
  "PUT /api/v1/users/:id": {
    operationId: "updateUser",
    summary: "Change name, role, active or password",
    description:
      "Deactivating ends the user's sessions and stops their tokens; the last active admin can't be demoted (409)",
    tags: ["Users"],
    params: { id: "User id" },
    body: { json: userChangesSchema },
    responses: { 200: { description: "The user", json: userViewSchema } },
    errors: { 409: "It would leave no active admin" },
  },
  "GET /api/v1/audit": {
    operationId: "listAuditEvents",
    summary: "Audit events, newest first",
    tags: ["Audit"],
    query: auditQuerySchema,
    responses: {
      200: { description: "Events", json: z.array(auditEventSchema) },
    },
  },
  "POST /api/v1/admin/rotate-key": {
    operationId: "rotateKey",
    summary: "Rotate the credential master key",
    tags: ["Admin"],
    responses: {
      200: {
        description: "The new key's id (never the key)",
        json: z.object({
          keyId: z.string(),
          rewrapped: z.number().int().min(0),
        }),
      },
    },
    errors: { 409: "Credentials are sealed with a key this server lacks" },
  },

  // Connectors.
  "GET /api/v1/connector-kinds": {
    operationId: "listConnectorKinds",
    summary: "Connector kinds with their config's JSON Schema",
    tags: ["Connectors"],
    responses: {
      200: { description: "Kinds", json: z.array(connectorKindSchema) },
    },
  },
  "GET /api/v1/connectors": {
    operationId: "listConnectors",
    summary: "Every connector (secrets as { set: true })",
    tags: ["Connectors"],
    responses: {
      200: { description: "Connectors", json: z.array(connectorViewSchema) },
    },
  },
  "POST /api/v1/connectors": {
    operationId: "createConnector",
    summary: "Create a connector",
    tags: ["Connectors"],
    body: {
      json: newConnectorSchema,
    },
    responses: { 201: { description: "Created", json: connectorViewSchema } },
  },
  "GET /api/v1/connectors/:id": {
    operationId: "getConnector",
    summary: "One connector",
    tags: ["Connectors"],
    params: CONNECTOR_ID,
    responses: {
      200: { description: "The connector", json: connectorViewSchema },
    },
  },
  "PUT /api/v1/connectors/:id": {
    operationId: "updateConnector",
    summary: "Change a connector's settings",
    description:
      "An omitted or empty secret keeps the stored one, null clears it; unknown keys are ignored, so a GET answer may be sent back. Built-in connectors: 409",
    tags: ["Connectors"],
    params: CONNECTOR_ID,
    body: {
      json: connectorChangesSchema,
    },
    responses: {
      200: { description: "The connector", json: connectorViewSchema },
    },
    errors: { 409: "Built-in connectors can't be changed" },
  },
  "DELETE /api/v1/connectors/:id": {
    operationId: "deleteConnector",
    summary: "Delete a connector",
    tags: ["Connectors"],
    params: CONNECTOR_ID,
    responses: { 204: { description: "Deleted" } },
    errors: { 409: "Built-in connectors can't be deleted" },
  },
  "POST /api/v1/connectors/:id/test": {
    operationId: "testConnector",
    summary: "Test the connection (within 15 s)",
    tags: ["Connectors"],
    params: CONNECTOR_ID,
    responses: {
      200: { description: "The outcome", json: connectorTestSchema },
    },
  },
  "GET /api/v1/connectors/:id/schema": {
    operationId: "discoverConnector",
    summary: "The connector's tables and their columns",
    tags: ["Connectors"],
    params: CONNECTOR_ID,
    responses: {
      200: { description: "Tables", json: connectorSchemaSchema },
    },
    errors: {
      422: "The connector's server refused the request (e.g. a missing table)",
      502: "",
    },
  },
  "POST /api/v1/connectors/:id/preview": {
    operationId: "previewConnector",
    summary: "The first rows of a table, query or file",
    tags: ["Connectors"],
    params: CONNECTOR_ID,
    body: { json: previewRequestSchema },
    responses: { 200: { description: "Rows", json: previewSchema } },
    errors: { 502: "" },
  },
  ...sharesOps("connector", "Connectors", CONNECTOR_ID),

  // Loading a CSV.
  "POST /api/v1/uploads": {
    operationId: "upload",
    summary: "Store a file (the raw body) for a CSV load",
    tags: ["Uploads"],
    query: z.object({
      filename: z.string().optional().describe("The file's original name"),
    }),
    body: { binary: true },
    responses: {
      201: {
        description: "Stored",
        json: z.object({
          name: z.string().describe("Pass as upload to POST /api/v1/csv-loads"),
          bytes: z.number().int().min(0),
        }),
      },
    },
    errors: { 400: "The body is empty", 413: "" },
  },
  "POST /api/v1/csv-loads": {
    operationId: "loadCsv",
    summary: "Load a CSV file into a table (a run of a two-step pipeline)",
    tags: ["Uploads"],
    body: { json: csvLoadSchema },
    responses: {
      201: {
        description: "The run started",
        json: z.object({ run_id: id(), pipeline_id: id() }),
        headers: { location: "The run: /api/v1/runs/{run_id}" },
      },
    },
  },

  // Pipelines.
  "GET /api/v1/pipelines": {
    operationId: "listPipelines",
    summary: "Every pipeline with its current definition",
    tags: ["Pipelines"],
    responses: {
      200: { description: "Pipelines", json: z.array(pipelineViewSchema) },
    },
  },
  "POST /api/v1/pipelines": {
    operationId: "savePipeline",
    summary: "Create a pipeline, or add a version to the one with that name",
    description:
      "A definition identical to the current version is 200 with action unchanged. Every validation error comes at once (422), with its field path and, for text bodies, its line and column",
    tags: ["Pipelines"],
    query: saveQuery.extend({
      dry_run: z.enum(["1", "true"]).optional().describe(
        "Only validate and say what a save would do",
      ),
    }),
    body: PIPELINE_BODY,
    responses: {
      201: {
        description: "Created, or a new version",
        json: pipelineSaveResultSchema,
      },
      200: {
        description:
          "Unchanged (the definition is the current one), or the plan of a dry run",
        json: z.union([pipelineSaveResultSchema, pipelinePlanSchema]),
      },
    },
    errors: {
      403:
        "The pipeline exists and the caller may not edit it, or a step uses a connector the caller may not use",
      413: "The body is too large",
      415: "",
    },
  },
  "GET /api/v1/pipelines/:id": {
    operationId: "getPipeline",
    summary: "One pipeline with its current definition",
    tags: ["Pipelines"],
    params: PIPELINE_ID,
    responses: {
      200: { description: "The pipeline", json: pipelineViewSchema },
    },
  },
  "PUT /api/v1/pipelines/:id": {
    operationId: "updatePipeline",
    summary: "Save a new version of a pipeline",
    tags: ["Pipelines"],
    params: PIPELINE_ID,
    query: saveQuery,
    body: PIPELINE_BODY,
    responses: {
      200: { description: "Saved", json: pipelineSaveResultSchema },
    },
    errors: {
      409: "The body names another pipeline",
      413: "The body is too large",
      415: "",
    },
  },
  "DELETE /api/v1/pipelines/:id": {
    operationId: "deletePipeline",
    summary: "Delete a pipeline with its versions and runs",
    tags: ["Pipelines"],
    params: PIPELINE_ID,
    responses: { 204: { description: "Deleted" } },
    errors: { 409: "A run of it has not finished" },
  },
  "GET /api/v1/pipelines/:id/export": {
    operationId: "exportPipeline",
    summary: "The current definition, canonical, as YAML or JSON",
    description:
      "Defaults filled in, connectors by name, no secrets: importing it back gives the same pipeline (action unchanged)",
    tags: ["Pipelines"],
    params: PIPELINE_ID,
    query: z.object({
      format: z.enum(["yaml", "json"]).default("yaml"),
    }),
    responses: {
      200: { description: "The definition", json: pipelineSchema, yaml: true },
    },
  },
  "GET /api/v1/pipelines/:id/versions": {
    operationId: "listPipelineVersions",
    summary: "Every saved version, newest first",
    tags: ["Pipelines"],
    params: PIPELINE_ID,
    responses: {
      200: {
        description: "Versions",
        json: z.array(versionSummarySchema),
      },
    },
  },
  "GET /api/v1/pipelines/:id/versions/:version": {
    operationId: "getPipelineVersion",
    summary: "One saved version with its definition",
    tags: ["Pipelines"],
    params: { ...PIPELINE_ID, version: "Version number" },
    responses: {
      200: { description: "The version", json: pipelineVersionSchema },
    },
  },
  "GET /api/v1/pipelines/:id/diff": {
    operationId: "diffPipelineVersions",
    summary: "Unified diff between two versions",
    tags: ["Pipelines"],
    params: PIPELINE_ID,
    query: z.object({
      from: id().optional().describe(
        "Older version (default: the one before to)",
      ),
      to: id().optional().describe("Newer version (default: the current one)"),
    }),
    responses: { 200: { description: "The diff", json: versionDiffSchema } },
  },
  "POST /api/v1/pipelines/:id/rollback": {
    operationId: "rollbackPipeline",
    summary: "Save an old version again, as a new version",
    tags: ["Pipelines"],
    params: PIPELINE_ID,
    body: { json: rollbackRequestSchema },
    responses: {
      201: {
        description: "The new version",
        json: rollbackResultSchema,
        headers: { location: "The new version: …/versions/{version}" },
      },
    },
  },
  "POST /api/v1/pipelines/:id/runs": {
    operationId: "runPipeline",
    summary: "Start a run",
    tags: ["Pipelines", "Runs"],
    params: PIPELINE_ID,
    body: {
      json: startRunBodySchema,
      required: false,
      description: "Parameter values (a 422 names params.<name>)",
    },
    responses: {
      201: {
        description: "Queued",
        json: z.object({ id: id(), status: z.literal("PENDING") }),
        headers: { location: "The run: /api/v1/runs/{id}" },
      },
    },
  },
  ...sharesOps("pipeline", "Pipelines", PIPELINE_ID),

  // Runs.
  "GET /api/v1/runs": {
    operationId: "listRuns",
    summary: "Recent runs, newest first, without their tasks",
    tags: ["Runs"],
    query: runsQuerySchema,
    responses: {
      200: { description: "Runs", json: z.array(runSummarySchema) },
    },
  },
  "GET /api/v1/runs/:id": {
    operationId: "getRun",
    summary: "One run with its task runs",
    tags: ["Runs"],
    params: RUN_ID,
    responses: { 200: { description: "The run", json: runViewSchema } },
  },
  "GET /api/v1/runs/:id/events": {
    operationId: "watchRun",
    summary: "Server-Sent Events: the run after every change",
    description:
      "Each event is `event: run` with the whole run (the Run schema) as data; the stream ends with the run",
    tags: ["Runs"],
    params: RUN_ID,
    responses: { 200: { description: "The event stream", eventStream: true } },
  },
  "POST /api/v1/runs/:id/cancel": {
    operationId: "cancelRun",
    summary: "Cancel a run",
    description:
      'The run and its waiting steps become CANCELLED at once and never start; running steps are stopped within seconds and then show CANCELLED ("killed: cancelled"). A run that already ended is left as it was: 409',
    tags: ["Runs"],
    params: RUN_ID,
    responses: {
      200: { description: "The cancelled run", json: runViewSchema },
    },
    errors: { 409: "The run already ended" },
  },
  "POST /api/v1/runs/:id/rerun": {
    operationId: "rerunRun",
    summary: "Start a new run like an ended one",
    description:
      "Same pipeline at its current version, same parameter values (a 422 names params.<name> when they no longer fit)",
    tags: ["Runs"],
    params: RUN_ID,
    responses: {
      201: {
        description: "Queued",
        json: z.object({ id: id(), status: z.literal("PENDING") }),
        headers: { location: "The new run: /api/v1/runs/{id}" },
      },
    },
    errors: { 409: "The run has not ended", 422: "" },
  },
  "GET /api/v1/runs/:id/tasks/:taskId/logs": {
    operationId: "getTaskLogs",
    summary: "Log lines of one task run",
    tags: ["Runs"],
    params: { ...RUN_ID, taskId: "Task run id" },
    responses: {
      200: { description: "Log lines", json: z.array(taskLogSchema) },
    },
  },
};
