// Server backend: a postgres.js connection pool on DATABASE_URL.

import postgres from "postgres";
import { copyIn } from "./postgres_copy.ts";
import { type Db, METADATA_SCHEMA, type Queryable } from "./db.ts";
import { guardClosedSocketWrites } from "./postgres_socket_guard.ts";

// int8 as a JS number, as PGlite returns it, so both backends hand the same
// values to the rest of the code. Ids and counts stay far below 2^53.
const bigintAsNumber = {
  to: 20,
  from: [20],
  serialize: (value: number | bigint) => String(value),
  parse: (value: string) => Number(value),
};

type Sql = postgres.Sql | postgres.TransactionSql;

function queryable(sql: Sql): Queryable {
  return {
    async query<T>(text: string, params: unknown[] = []): Promise<T[]> {
      // deno-lint-ignore no-explicit-any
      const rows = await sql.unsafe(text, params as any[]);
      // A plain array, as PGlite returns, not postgres.js's Result subclass.
      return Array.from(rows) as unknown as T[];
    },
    async execute(text: string, params: unknown[] = []): Promise<number> {
      // deno-lint-ignore no-explicit-any
      const result = await sql.unsafe(text, params as any[]);
      return result.count ?? result.length;
    },
    copyFrom(text, source) {
      return copyIn(sql, text, source);
    },
  };
}

/** Options for {@linkcode openPostgresDb}. */
export interface PostgresDbOptions {
  /** Pool size (default 10). */
  max?: number;
  /** Application name shown in pg_stat_activity. */
  applicationName?: string;
}

/** Connects to a PostgreSQL server at `url`. */
export async function openPostgresDb(
  url: string,
  options: PostgresDbOptions = {},
): Promise<Db> {
  const sql = postgres(url, {
    max: options.max ?? 10,
    // A connection that cannot be made (the server restarting) fails its
    // queries after this long instead of postgres.js' 30 s, so workers retry
    // sooner; a retry starts a new connection.
    connect_timeout: 10,
    onnotice: () => {},
    types: { bigint: bigintAsNumber },
    connection: {
      application_name: options.applicationName ?? "etl",
      search_path: `${METADATA_SCHEMA},public`,
    },
  });
  await sql`select 1`;
  return poolDb(sql);
}

/** A postgres.js pool as a `Db` (`backend` "postgres"); `close()` ends the pool. */
export function poolDb(sql: postgres.Sql): Db {
  guardClosedSocketWrites();
  return {
    backend: "postgres",
    ...queryable(sql),
    transaction(fn) {
      return sql.begin((tx) => fn(queryable(tx))) as Promise<never>;
    },
    async listen(channel, onNotify) {
      const { unlisten } = await sql.listen(channel, onNotify);
      return unlisten;
    },
    async notify(channel, payload) {
      await sql.notify(channel, payload);
    },
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
}
