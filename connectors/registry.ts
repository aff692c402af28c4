// The kinds of connectors the platform knows: their config schemas, which
// fields are secret, what they can do, and how to open one.

import { z } from "zod";
import type { Db } from "../lib/db/db.ts";
import { type CsvConfig, csvConfigSchema } from "./csv/config.ts";
import { CsvConnector } from "./csv/csv_connector.ts";
import { type MysqlConfig, mysqlConfigSchema } from "./mysql/config.ts";
import { MysqlConnector } from "./mysql/mysql_connector.ts";
import {
  type PostgresConfig,
  postgresConfigSchema,
  warehouseConfigSchema,
} from "./postgres/config.ts";
import {
  PostgresConnector,
  type WarehouseUserSql,
} from "./postgres/postgres_connector.ts";
import { type RestConfig, restConfigSchema } from "./rest/config.ts";
import { RestConnector } from "./rest/rest_connector.ts";
import { type S3Config, s3ConfigSchema } from "./s3/config.ts";
import { S3Connector } from "./s3/s3_connector.ts";
import type { Connector } from "./types.ts";

/** What the platform knows about one kind of connector. */
export interface ConnectorKind {
  label: string;
  configSchema: z.ZodObject;
  /** Fields stored encrypted and never shown again. */
  secretFields: string[];
  canRead: boolean;
  canWrite: boolean;
}

/** Names of the fields of `schema` marked `.meta({ secret: true })`. */
export function secretFieldsOf(schema: z.ZodObject): string[] {
  return Object.entries(schema.shape).filter(([, field]) =>
    isSecret(field as z.ZodType)
  ).map(([name]) => name);
}

// A field is secret when it or a wrapper (optional, default) says so.
function isSecret(field: z.ZodType): boolean {
  let current: z.ZodType | undefined = field;
  while (current) {
    if (current.meta()?.secret === true) return true;
    const def = current.def as { innerType?: z.ZodType };
    current = def.innerType;
  }
  return false;
}

function kind(
  label: string,
  configSchema: ConnectorKind["configSchema"],
  abilities: { canRead: boolean; canWrite: boolean },
): ConnectorKind {
  return {
    label,
    configSchema,
    secretFields: secretFieldsOf(configSchema),
    ...abilities,
  };
}

/** Every connector kind, by the name stored in `connector.kind`. */
export const connectorKinds: Record<string, ConnectorKind> = {
  postgres: kind("PostgreSQL", postgresConfigSchema, {
    canRead: true,
    canWrite: true,
  }),
  warehouse: kind("Local warehouse", warehouseConfigSchema, {
    canRead: true,
    canWrite: true,
  }),
  csv: kind("Files (CSV, NDJSON, JSON)", csvConfigSchema, {
    canRead: true,
    canWrite: false,
  }),
  mysql: kind("MySQL / MariaDB", mysqlConfigSchema, {
    canRead: true,
    canWrite: true,
  }),
  rest: kind("REST API", restConfigSchema, { canRead: true, canWrite: false }),
  s3: kind("Amazon S3 / S3-compatible", s3ConfigSchema, {
    canRead: true,
    canWrite: true,
  }),
};

/** What opening a connector may need from the platform. */
export interface OpenConnectorDeps {
  /** The platform's database, home of the local warehouse. */
  db: Db;
  /** Directories CSV files may be read from. */
  fileRoots: string[];
  /** How user-written SQL on the local warehouse is isolated (lib/warehouse). */
  warehouseUserSql?: WarehouseUserSql;
}

/** The kind named `name`, or an error listing the known kinds. */
export function connectorKind(name: string): ConnectorKind {
  const found = Object.hasOwn(connectorKinds, name)
    ? connectorKinds[name]
    : undefined;
  if (!found) {
    throw new Error(
      `Unknown connector kind ${JSON.stringify(name)}: expected one of ${
        Object.keys(connectorKinds).join(", ")
      }`,
    );
  }
  return found;
}

/** Opens a connector of `kind` with a validated, secret-resolved `config`. */
export function openConnector(
  kind: string,
  config: unknown,
  deps: OpenConnectorDeps,
): Connector {
  const parsed = connectorKind(kind).configSchema.parse(config);
  switch (kind) {
    case "warehouse":
      return PostgresConnector.fromDb(deps.db, {
        schema: "warehouse",
        userSql: deps.warehouseUserSql,
      });
    case "csv":
      return new CsvConnector(parsed as CsvConfig, {
        allowedRoots: deps.fileRoots,
      });
    case "mysql":
      return new MysqlConnector(parsed as MysqlConfig);
    case "postgres":
      return PostgresConnector.fromConfig(parsed as PostgresConfig);
    case "rest":
      return new RestConnector(parsed as RestConfig);
    case "s3":
      return new S3Connector(parsed as S3Config);
  }
  throw new Error(`Cannot open connector kind ${JSON.stringify(kind)}`);
}
