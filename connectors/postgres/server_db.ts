// A connection pool to a user's PostgreSQL server; `poolDb()` from lib/db
// shapes it as the platform's `Db`, so the loader runs unchanged on it and on
// the local warehouse.

import postgres from "postgres";
import { quoteIdent } from "../../lib/db/db.ts";
import type { PostgresConfig } from "./config.ts";
import { bigintValue } from "./pg_types.ts";

/** Options for {@linkcode openServerPool}. */
export interface ServerPoolOptions {
  /** Seconds to wait for a connection (default 10). */
  connectTimeoutSeconds?: number;
  /** Pool size (default 4). */
  max?: number;
}

// Values as the Db-backed reader produces them (see pg_types.ts): bigint a
// number when exact, date "YYYY-MM-DD", timestamp without zone read as UTC.
const types = {
  etlBigint: {
    to: 20,
    from: [20],
    serialize: (value: unknown) => String(value),
    parse: bigintValue,
  },
  etlDate: {
    to: 1082,
    from: [1082],
    serialize: (value: unknown) => String(value),
    parse: (value: string) => value,
  },
  etlTimestamp: {
    to: 1114,
    from: [1114],
    serialize: (value: unknown) => String(value),
    parse: (value: string) => new Date(value.replace(" ", "T") + "Z"),
  },
};

/** Opens a lazy pool (no connection until the first query). */
export function openServerPool(
  config: PostgresConfig,
  options: ServerPoolOptions = {},
): postgres.Sql {
  return postgres({
    host: config.host,
    port: config.port,
    database: config.database,
    username: config.user,
    password: config.password,
    ssl: config.ssl === "disable"
      ? false
      : config.ssl === "require"
      ? "require"
      : { rejectUnauthorized: true },
    max: options.max ?? 4,
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    // Idle connections to someone else's server are closed, not kept forever.
    idle_timeout: 30,
    onnotice: () => {},
    // deno-lint-ignore no-explicit-any
    types: types as any,
    connection: {
      application_name: "etl-connector",
      search_path: quoteIdent(config.schema),
    },
  });
}
