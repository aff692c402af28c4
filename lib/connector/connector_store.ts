// Connectors in the metadata database. Non-secret settings live in
// `connector.config`; each secret field is sealed by the SecretBox into its
// own `credential` row. Secrets are write-only: views show `{ set: true }`,
// and only the engine gets them back, through resolveConnectorConfig().

import { type Db, METADATA_SCHEMA, type Queryable } from "../db/db.ts";
import type { SecretBox } from "../secrets/secret_box.ts";
import { redactSecrets } from "../secrets/redact.ts";
import { connectorKind, connectorKinds } from "../../connectors/registry.ts";
import {
  ConnectorConfigError,
  ConnectorInUseError,
  ConnectorNotFoundError,
} from "./connector_errors.ts";
import { movedDestination } from "./credential_destination.ts";
import {
  decryptSecrets,
  secretFieldsSet,
  storeSecrets,
} from "./credentials.ts";

export * from "./connector_errors.ts";

const CONNECTOR = `${METADATA_SCHEMA}.connector`;
const CREDENTIAL = `${METADATA_SCHEMA}.credential`;
const NAME = /^[a-z0-9_-]+$/;

/** A secret field as the API and UI see it: only whether it is set. */
export interface SecretIsSet {
  set: true;
}

/** A connector as shown to users: secret fields only as `{ set: true }`. */
export interface ConnectorView {
  id: number;
  name: string;
  kind: string;
  config: Record<string, unknown>;
  builtin: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** A connector with its full configuration, secrets decrypted: for the engine only. */
export interface ResolvedConnector {
  id: number;
  name: string;
  kind: string;
  config: Record<string, unknown>;
}

/** What `createConnector()` needs. */
export interface NewConnector {
  name: string;
  /** The user who creates it and may then edit it. */
  ownerId?: number | null;
  kind: string;
  config: Record<string, unknown>;
}

/** What `updateConnector()` changes; an omitted or empty secret keeps the stored one, `null` clears it. */
export interface ConnectorChanges {
  name?: string;
  config: Record<string, unknown>;
}

interface ConnectorRow {
  id: number;
  name: string;
  kind: string;
  config: Record<string, unknown>;
  builtin: boolean;
  created_at: Date;
  updated_at: Date;
}

/** Validates and stores a new connector, encrypting its secret fields. */
export async function createConnector(
  db: Db,
  box: SecretBox,
  connector: NewConnector,
): Promise<ConnectorView> {
  const what = `Cannot create connector ${JSON.stringify(connector.name)}`;
  checkName(what, connector.name);
  const kind = knownKind(what, connector.kind);
  if (connector.kind === "warehouse") {
    throw new ConnectorConfigError(`${what}: the local warehouse is built in`, [
      { path: ["kind"], message: "The local warehouse is built in" },
    ]);
  }
  const config = validate(what, connector.kind, connector.config);
  return await db.transaction(async (tx) => {
    await checkNameFree(tx, what, connector.name);
    const [row] = await tx.query<ConnectorRow>(
      `insert into ${CONNECTOR} (name, kind, config, owner_id)
       values ($1, $2, $3, $4) returning *`,
      [
        connector.name,
        connector.kind,
        publicPart(config, kind.secretFields),
        connector.ownerId ?? null,
      ],
    );
    await storeSecrets(tx, box, row.id, config, kind.secretFields);
    return toView(row, await secretFieldsSet(tx, row.id));
  });
}

/** Replaces a connector's settings (and name); secrets are write-only, see {@linkcode ConnectorChanges}. */
export async function updateConnector(
  db: Db,
  box: SecretBox,
  idOrName: number | string,
  changes: ConnectorChanges,
): Promise<ConnectorView> {
  return await db.transaction(async (tx) => {
    const row = await findRow(tx, idOrName);
    const what = `Cannot update connector ${JSON.stringify(row.name)}`;
    if (row.builtin) {
      throw new ConnectorConfigError(`${what}: it is built in`, []);
    }
    const name = changes.name ?? row.name;
    if (name !== row.name) {
      checkName(what, name);
      await checkNameFree(tx, what, name);
    }
    const kind = connectorKind(row.kind);
    const stored = await decryptSecrets(tx, box, row.id);
    const merged = { ...changes.config };
    const cleared: string[] = [];
    const kept: string[] = [];
    for (const field of kind.secretFields) {
      const value = merged[field];
      if (value === null) {
        cleared.push(field);
        delete merged[field];
      } else if (value === undefined || value === "" || isSetMarker(value)) {
        // Write-only: a form that never saw the secret sends nothing back.
        if (field in stored) {
          merged[field] = stored[field];
          kept.push(field);
        } else delete merged[field];
      }
    }
    const config = validate(what, row.kind, merged);
    const moved = movedDestination(row.kind, row.config, config);
    if (kept.length > 0 && moved.length > 0) {
      // The stored secret was given for the old server, not this one.
      throw new ConnectorConfigError(
        `${what}: changing ${moved.join(", ")} needs ${
          kept.join(", ")
        } entered again`,
        kept.map((field) => ({
          path: ["config", field],
          message: `Enter it again: ${moved.join(", ")} changed`,
        })),
      );
    }
    const [updated] = await tx.query<ConnectorRow>(
      `update ${CONNECTOR} set name = $2, config = $3, updated_at = now()
        where id = $1 returning *`,
      [row.id, name, publicPart(config, kind.secretFields)],
    );
    if (cleared.length > 0) {
      await tx.query(
        `delete from ${CREDENTIAL} where connector_id = $1 and field = any($2)`,
        [row.id, cleared],
      );
    }
    await storeSecrets(tx, box, row.id, config, kind.secretFields);
    return toView(updated, await secretFieldsSet(tx, row.id));
  });
}

/** Deletes a connector and its credentials; built-in connectors stay. */
export async function deleteConnector(
  db: Db,
  idOrName: number | string,
): Promise<void> {
  const row = await findRow(db, idOrName);
  if (row.builtin) {
    throw new ConnectorConfigError(
      `Cannot delete connector ${JSON.stringify(row.name)}: it is built in`,
      [],
    );
  }
  const users = await db.query<{ name: string }>(
    `select distinct p.name from pipeline_step s
       join pipeline_version v on v.id = s.pipeline_version_id
       join pipeline p on p.id = v.pipeline_id
      where s.connector_id = $1 order by p.name`,
    [row.id],
  );
  if (users.length > 0) {
    throw new ConnectorInUseError(row.name, users.map((u) => u.name));
  }
  await db.query(`delete from ${CONNECTOR} where id = $1`, [row.id]);
}

/** All connectors, by name, as public views. */
export async function listConnectors(db: Db): Promise<ConnectorView[]> {
  const rows = await db.query<ConnectorRow>(
    `select * from ${CONNECTOR} order by name`,
  );
  const secrets = await db.query<{ connector_id: number; field: string }>(
    `select connector_id, field from ${CREDENTIAL}`,
  );
  return rows.map((row) =>
    toView(
      row,
      secrets.filter((s) => Number(s.connector_id) === Number(row.id)).map((
        s,
      ) => s.field),
    )
  );
}

/** One connector by id (a number) or name (a string), as a public view. */
export async function getConnector(
  db: Db,
  idOrName: number | string,
): Promise<ConnectorView> {
  const row = await findRow(db, idOrName);
  return toView(row, await secretFieldsSet(db, row.id));
}

/** The decrypted secret fields of a connector; for the engine and for redaction only. */
export async function loadConnectorSecrets(
  db: Db,
  box: SecretBox,
  idOrName: number | string,
): Promise<Record<string, string>> {
  const row = await findRow(db, idOrName);
  return await decryptSecrets(db, box, row.id);
}

/** A connector's full configuration with its secrets: what `openConnector()` takes. */
export async function resolveConnectorConfig(
  db: Db,
  box: SecretBox,
  idOrName: number | string,
): Promise<ResolvedConnector> {
  const row = await findRow(db, idOrName);
  const secrets = await decryptSecrets(db, box, row.id);
  return {
    id: Number(row.id),
    name: row.name,
    kind: row.kind,
    config: { ...row.config, ...secrets },
  };
}

/** Creates schema `warehouse` and the built-in `warehouse` connector if absent. */
export async function ensureWarehouseConnector(db: Db): Promise<ConnectorView> {
  await db.query("create schema if not exists warehouse");
  await db.query(
    `insert into ${CONNECTOR} (name, kind, config, builtin)
     values ('warehouse', 'warehouse', '{}', true)
     on conflict (name) do nothing`,
  );
  const view = await getConnector(db, "warehouse");
  if (view.kind !== "warehouse") {
    throw new Error(
      `Cannot set up the local warehouse: a connector named "warehouse" of kind "${view.kind}" exists, rename it`,
    );
  }
  return view;
}

function checkName(what: string, name: string): void {
  if (typeof name !== "string" || !NAME.test(name)) {
    const message = "Use lowercase letters, digits, _ and -";
    throw new ConnectorConfigError(`${what}: name: ${message}`, [
      { path: ["name"], message },
    ]);
  }
}

async function checkNameFree(tx: Queryable, what: string, name: string) {
  const taken = await tx.query(`select 1 from ${CONNECTOR} where name = $1`, [
    name,
  ]);
  if (taken.length > 0) {
    const message = "A connector with this name already exists";
    throw new ConnectorConfigError(`${what}: ${message.toLowerCase()}`, [
      { path: ["name"], message },
    ]);
  }
}

function knownKind(what: string, kind: string) {
  if (!Object.hasOwn(connectorKinds, kind)) {
    const message = `Unknown kind, expected one of ${
      Object.keys(connectorKinds).join(", ")
    }`;
    throw new ConnectorConfigError(`${what}: kind: ${message}`, [
      { path: ["kind"], message },
    ]);
  }
  return connectorKinds[kind];
}

// zod issues become field paths under "config"; secret values are kept out.
function validate(
  what: string,
  kind: string,
  config: Record<string, unknown>,
): Record<string, unknown> {
  const { configSchema, secretFields } = connectorKind(kind);
  const result = configSchema.safeParse(config);
  if (result.success) return result.data as Record<string, unknown>;
  const secrets = secretFields.map((f) => config[f]).filter((v) =>
    typeof v === "string"
  ) as string[];
  const issues = result.error.issues.map((issue) => ({
    path: ["config", ...issue.path.map(String)],
    message: redactSecrets(issue.message, secrets),
  }));
  const summary = issues.map((i) =>
    `${i.path.slice(1).join(".") || "config"}: ${i.message}`
  )
    .join("; ");
  throw new ConnectorConfigError(`${what}: ${summary}`, issues);
}

function publicPart(
  config: Record<string, unknown>,
  secretFields: string[],
): Record<string, unknown> {
  const copy = { ...config };
  for (const field of secretFields) delete copy[field];
  return copy;
}

function isSetMarker(value: unknown): boolean {
  return typeof value === "object" && value !== null &&
    (value as { set?: unknown }).set === true &&
    Object.keys(value).length === 1;
}

async function findRow(
  tx: Queryable,
  idOrName: number | string,
): Promise<ConnectorRow> {
  const [row] = typeof idOrName === "number"
    ? await tx.query<ConnectorRow>(`select * from ${CONNECTOR} where id = $1`, [
      idOrName,
    ])
    : await tx.query<ConnectorRow>(
      `select * from ${CONNECTOR} where name = $1`,
      [idOrName],
    );
  if (!row) throw new ConnectorNotFoundError(idOrName);
  return row;
}

function toView(row: ConnectorRow, secretsSet: string[]): ConnectorView {
  const config: Record<string, unknown> = { ...row.config };
  for (const field of secretsSet) config[field] = { set: true };
  return {
    id: Number(row.id),
    name: row.name,
    kind: row.kind,
    config,
    builtin: row.builtin,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
