// What the connector UI and API do with a stored connector — test it, browse
// its schema, preview rows — plus each kind's JSON Schema for forms and API
// users. Routes parse requests and render; the work and its limits live here.

import type { WarehouseUserSql } from "../../connectors/postgres/postgres_connector.ts";
import { z } from "zod";
import type { Db } from "../db/db.ts";
import type { SecretBox } from "../secrets/secret_box.ts";
import { redactSecrets } from "../secrets/redact.ts";
import { HttpError } from "../web/mod.ts";
import { ProblemError } from "../api/problem.ts";
import { connectorKinds, openConnector } from "../../connectors/registry.ts";
import { ConnectorError } from "../../connectors/errors.ts";
import type {
  Column,
  Connector,
  DiscoveredTable,
} from "../../connectors/types.ts";
import {
  ConnectorConfigError,
  ConnectorInUseError,
  ConnectorNotFoundError,
  type ConnectorView,
  getConnector,
  resolveConnectorConfig,
} from "./connector_store.ts";

/** How long test, schema and preview may wait on a connector: the one bound. */
export const CONNECTOR_TIMEOUT_MS = 15_000;
/** Rows a preview returns when the request names no limit. */
export const PREVIEW_DEFAULT_LIMIT = 20;
/** The most rows a preview returns. */
export const PREVIEW_MAX_LIMIT = 200;
// The store refuses to create these: they exist once, made at start-up.
const BUILTIN_ONLY_KINDS = new Set(["warehouse"]);

/** A connector kind as API users and the generated form see it. */
export interface ConnectorKindInfo {
  name: string;
  label: string;
  canRead: boolean;
  canWrite: boolean;
  /** False for kinds that only exist as a built-in connector. */
  creatable: boolean;
  secretFields: string[];
  /** JSON Schema (input side) of the config; secret properties carry `secret: true`. */
  schema: JsonSchema;
}

/** The subset of JSON Schema the form reads (other keywords pass through). */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  anyOf?: JsonSchema[];
  default?: unknown;
  description?: string;
  secret?: boolean;
  [key: string]: unknown;
}

/** Every kind, with its JSON Schema, in registry order. */
export function describeConnectorKinds(): ConnectorKindInfo[] {
  const names = Object.keys(connectorKinds);
  return names.map((name) => describeConnectorKind(name)!);
}

/** One kind by name, or undefined when no such kind exists. */
export function describeConnectorKind(
  name: string,
): ConnectorKindInfo | undefined {
  if (!Object.hasOwn(connectorKinds, name)) return undefined;
  const kind = connectorKinds[name];
  // "any" keeps a kind with a transform or a custom check describable: that
  // field becomes free-form and the server-side zod parse still decides.
  const options = { io: "input", unrepresentable: "any" } as const;
  const schema = z.toJSONSchema(kind.configSchema, options) as JsonSchema;
  for (const field of kind.secretFields) {
    const property = schema.properties?.[field];
    if (property) property.secret = true;
  }
  return {
    name,
    label: kind.label,
    canRead: kind.canRead,
    canWrite: kind.canWrite,
    creatable: !BUILTIN_ONLY_KINDS.has(name),
    secretFields: kind.secretFields,
    schema,
  };
}

/** What the actions need from the platform's services. */
export interface ConnectorActionDeps {
  db: Db;
  box: SecretBox;
  fileRoots: string[];
  /** Isolation of user SQL on the local warehouse (Services has it). */
  warehouseUserSql?: WarehouseUserSql;
}

/** Why a connector action failed, safe to show: no stack, no secret. */
export interface ConnectorFailure {
  /** `connection`, `auth`, `schema`, `data`, `timeout`, `config`, `connector`. */
  kind: string;
  message: string;
}

/** An action on a connector failed; `failure` says why in safe words. */
export class ConnectorActionError extends Error {
  constructor(readonly failure: ConnectorFailure) {
    super(failure.message);
    this.name = "ConnectorActionError";
  }
}

/** A built-in connector cannot be edited or deleted. */
export class BuiltinConnectorError extends Error {
  constructor(name: string, action: string) {
    super(`Cannot ${action} connector ${JSON.stringify(name)}: it is built in`);
    this.name = "BuiltinConnectorError";
  }
}

/** Result of {@linkcode testConnector}: reported, not thrown, since a failure is an answer. */
export type TestResult =
  | { ok: true; version?: string }
  | { ok: false; error: ConnectorFailure };

/** Options of the actions that wait on a connector. */
export interface ActionOptions {
  /** Overrides {@linkcode CONNECTOR_TIMEOUT_MS} (tests). */
  timeoutMs?: number;
}

/** Checks the connection within the time bound; says OK with the version, or why not. */
export async function testConnector(
  deps: ConnectorActionDeps,
  id: number,
  options: ActionOptions = {},
): Promise<TestResult> {
  try {
    return await withConnector(deps, id, {}, async (connector, bounded) => {
      const result = await bounded(connector.check());
      return { ok: true, version: result.version };
    }, options);
  } catch (error) {
    if (!(error instanceof ConnectorActionError)) throw error;
    return { ok: false, error: error.failure };
  }
}

/** Tables (objects, endpoints) of a connector with their columns. */
export async function discoverConnector(
  deps: ConnectorActionDeps,
  id: number,
  options: ActionOptions = {},
): Promise<DiscoveredTable[]> {
  const discover = (c: Connector, bounded: Bounded) => bounded(c.discover());
  return await withConnector(deps, id, {}, discover, options);
}

/** What to preview: exactly one of table, query or path, and a row limit. */
export const previewRequestSchema = z.object({
  table: z.string().min(1).optional(),
  query: z.string().min(1).optional(),
  path: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(PREVIEW_MAX_LIMIT).default(
    PREVIEW_DEFAULT_LIMIT,
  ),
}).strict().refine(
  (r) => [r.table, r.query, r.path].filter((v) => v !== undefined).length === 1,
  { message: "Give exactly one of table, query or path", path: ["table"] },
);

/** A validated preview request. */
export type PreviewRequest = z.infer<typeof previewRequestSchema>;

/** The first rows of a preview, JSON-safe. */
export interface Preview {
  columns: Column[];
  rows: unknown[][];
}

/**
 * Reads the first `limit` rows in small batches, then stops the iterator so
 * the connector releases its cursor and connection instead of reading on.
 */
export async function previewConnector(
  deps: ConnectorActionDeps,
  id: number,
  request: PreviewRequest,
  options: ActionOptions = {},
): Promise<Preview> {
  // A file connector may be stored without a path (the built-in `files`).
  const extra = request.path === undefined ? {} : { path: request.path };
  return await withConnector(deps, id, extra, async (connector, bounded) => {
    const abort = new AbortController();
    const iterator = connector.read({
      table: request.table,
      query: request.query,
      path: request.path,
      batchSize: request.limit,
      signal: abort.signal,
    })[Symbol.asyncIterator]();
    let columns: Column[] = [];
    const rows: unknown[][] = [];
    try {
      while (rows.length < request.limit) {
        const next = await bounded(iterator.next());
        if (next.done) break;
        columns = next.value.columns;
        rows.push(...next.value.rows);
      }
    } finally {
      abort.abort();
      await settleWithin(iterator.return?.(), 2_000);
    }
    return {
      columns,
      rows: rows.slice(0, request.limit).map((row) => row.map(jsonValue)),
    };
  }, options);
}

/** Refuses changes to a built-in connector; returns its view otherwise. */
export async function editableConnector(
  db: Db,
  id: number,
  action: "update" | "delete",
): Promise<ConnectorView> {
  const view = await getConnector(db, id);
  if (view.builtin) throw new BuiltinConnectorError(view.name, action);
  return view;
}

/**
 * Turns the store's and the actions' errors into HTTP errors (404, 409, 422
 * with field paths, 502/422 for a failing connector); others pass through.
 */
export function connectorHttpError(error: unknown): unknown {
  if (error instanceof ConnectorNotFoundError) {
    return new HttpError(404, error.message);
  }
  if (
    error instanceof BuiltinConnectorError ||
    error instanceof ConnectorInUseError
  ) {
    return new HttpError(409, error.message);
  }
  if (error instanceof ConnectorConfigError) {
    const fields = error.issues.map((i) => ({
      field: i.path.join("."),
      message: i.message,
    }));
    return new ProblemError(422, error.message, fields);
  }
  if (error instanceof ConnectorActionError) {
    // The user named a missing table or bad query: their input, not the server.
    const status = ["schema", "data", "config"].includes(error.failure.kind)
      ? 422
      : 502;
    return new HttpError(status, error.message);
  }
  return error;
}

type Bounded = <T>(promise: Promise<T>) => Promise<T>;

// Opens the stored connector with its secrets, runs `work` with a deadline,
// and always closes it; every failure leaves as a redacted ConnectorActionError.
async function withConnector<T>(
  deps: ConnectorActionDeps,
  id: number,
  extraConfig: Record<string, unknown>,
  work: (connector: Connector, bounded: Bounded) => Promise<T>,
  options: ActionOptions,
): Promise<T> {
  const stored = await resolveConnectorConfig(deps.db, deps.box, id);
  const secrets = (connectorKinds[stored.kind]?.secretFields ?? [])
    .map((field) => stored.config[field])
    .filter((value): value is string => typeof value === "string");
  const timeoutMs = options.timeoutMs ?? CONNECTOR_TIMEOUT_MS;
  const fail = (error: unknown) =>
    new ConnectorActionError(failureOf(error, secrets, timeoutMs));
  let connector: Connector;
  try {
    const config = { ...stored.config, ...extraConfig };
    connector = openConnector(stored.kind, config, deps);
  } catch (error) {
    throw fail(error);
  }
  const deadline = Promise.withResolvers<never>();
  deadline.promise.catch(() => {});
  const timer = setTimeout(
    () => deadline.reject(new DeadlineError()),
    timeoutMs,
  );
  try {
    return await work(connector, (p) => Promise.race([p, deadline.promise]));
  } catch (error) {
    throw fail(error);
  } finally {
    clearTimeout(timer);
    // A hung server must not hold the request after the answer is known.
    await settleWithin(connector.close(), 2_000);
  }
}

class DeadlineError extends Error {}

function failureOf(
  error: unknown,
  secrets: string[],
  timeoutMs: number,
): ConnectorFailure {
  const safe = (kind: string, message: string) => ({
    kind,
    message: redactSecrets(message, secrets),
  });
  if (error instanceof DeadlineError) {
    return safe("timeout", `Timed out after ${timeoutMs / 1000} s`);
  }
  if (error instanceof ConnectorError) return safe(error.kind, error.message);
  if (error instanceof z.ZodError) {
    const issues = error.issues.map((i) =>
      `${i.path.join(".") || "config"}: ${i.message}`
    );
    return safe("config", `Invalid configuration: ${issues.join("; ")}`);
  }
  // Unexpected errors: their first line only, never a stack.
  const message = error instanceof Error ? error.message : String(error);
  return safe("connector", message.split("\n")[0] || "Unknown error");
}

async function settleWithin(
  promise: Promise<unknown> | undefined,
  ms: number,
): Promise<void> {
  if (!promise) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    promise.catch(() => {}),
    new Promise((resolve) => timer = setTimeout(resolve, ms)),
  ]);
  clearTimeout(timer);
}

// Rows go out as JSON: bigints as text, bytes as hex, dates as ISO strings.
function jsonValue(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return value.toJSON();
  if (!(value instanceof Uint8Array)) return value;
  return "\\x" +
    Array.from(value, (b) => b.toString(16).padStart(2, "0")).join("");
}
