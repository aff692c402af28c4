// The PostgreSQL connector: a user's server (`fromConfig`) or the platform's
// own database as the built-in local warehouse (`fromDb`). Both load through
// the same transactional COPY writer.

import type postgres from "postgres";
import type { Db } from "../../lib/db/db.ts";
import type {
  CheckResult,
  Connector,
  DiscoveredTable,
  ReadRequest,
  RecordBatch,
  StatementRequest,
  StatementResult,
  WriteRequest,
  WriteResult,
} from "../types.ts";
import type { PostgresConfig } from "./config.ts";
import { toConnectorError } from "./pg_errors.ts";
import { readFromDb, readFromServer, readSql } from "./pg_reader.ts";
import { columnTypeFromPg } from "./pg_types.ts";
import { writeBatches } from "./pg_writer.ts";
import { LOAD_MARKER_TABLE } from "./pg_load_marker.ts";
import { executeStatement } from "./pg_statement.ts";
import { openServerPool } from "./server_db.ts";
import { poolDb } from "../../lib/db/postgres_db.ts";

/** Options for {@linkcode PostgresConnector.fromConfig}. */
export interface PostgresConnectorOptions {
  /** Seconds to wait for a connection before a ConnectionError (default 10). */
  connectTimeoutSeconds?: number;
}

/** Options for {@linkcode PostgresConnector.fromDb}. */
export interface WarehouseOptions {
  /** The schema tables are read from and written to, e.g. "warehouse". */
  schema: string;
  /** Where user-written SQL (queries, statements) runs; absent: `db` itself. */
  userSql?: WarehouseUserSql;
}

/**
 * How user-written SQL on the local warehouse is kept from the platform's
 * tables: a pool logged in as a role of its own (PostgreSQL backend), or a
 * role taken with `set local role` in the shared session (PGlite, best effort).
 */
export type WarehouseUserSql = { sql: postgres.Sql } | { role: string };

/** Reads and writes tables of one schema of a PostgreSQL database. */
export class PostgresConnector implements Connector {
  /** `query` takes `$1…` placeholders for `params`. */
  readonly sqlDialect = "postgres";
  #db: Db;
  #sql?: postgres.Sql;
  #schema: string;
  #where: string;
  #secrets: string[];
  #ownsDb: boolean;
  // User-written SQL: this pool (not closed here) or this role.
  #userSql?: postgres.Sql;
  #userDb?: Db;
  #userRole?: string;

  private constructor(
    parts: {
      db: Db;
      sql?: postgres.Sql;
      schema: string;
      where: string;
      secrets: string[];
      ownsDb: boolean;
      userSql?: WarehouseUserSql;
    },
  ) {
    if (parts.userSql && "sql" in parts.userSql) {
      this.#userSql = parts.userSql.sql;
      this.#userDb = poolDb(parts.userSql.sql);
    } else if (parts.userSql) this.#userRole = parts.userSql.role;
    this.#db = parts.db;
    this.#sql = parts.sql;
    this.#schema = parts.schema;
    this.#where = parts.where;
    this.#secrets = parts.secrets;
    this.#ownsDb = parts.ownsDb;
  }

  /** A connector to a user's server; connects on first use, pool of 4. */
  static fromConfig(
    config: PostgresConfig,
    options: PostgresConnectorOptions = {},
  ): PostgresConnector {
    const sql = openServerPool(config, {
      connectTimeoutSeconds: options.connectTimeoutSeconds ?? 10,
      max: 4,
    });
    return new PostgresConnector({
      db: poolDb(sql),
      sql,
      schema: config.schema,
      where: `PostgreSQL at ${config.host}:${config.port} as ${
        JSON.stringify(config.user)
      }`,
      secrets: config.password ? [config.password] : [],
      ownsDb: true,
    });
  }

  /** The local warehouse: a schema of the platform's own database, which `close()` leaves open. */
  static fromDb(db: Db, options: WarehouseOptions): PostgresConnector {
    return new PostgresConnector({
      db,
      schema: options.schema,
      where: `the local warehouse (schema ${JSON.stringify(options.schema)})`,
      secrets: [],
      ownsDb: false,
      userSql: options.userSql,
    });
  }

  /** Connects and returns the server version, e.g. "PostgreSQL 15.20". */
  async check(): Promise<CheckResult> {
    try {
      const [row] = await this.#db.query<{ version: string }>(
        "select version()",
      );
      const version = row.version.match(/^PostgreSQL \S+/)?.[0] ??
        row.version;
      return { ok: true, version };
    } catch (error) {
      throw this.#error(error, `Cannot connect to ${this.#where}`);
    }
  }

  /** Tables and views of the schema with their columns (not the load marker). */
  async discover(): Promise<DiscoveredTable[]> {
    let rows: { table: string; column: string; type: string }[];
    try {
      rows = await this.#db.query(
        `select table_name as table, column_name as column, data_type as type
           from information_schema.columns
          where table_schema = $1 and table_name <> $2
          order by table_name, ordinal_position`,
        [this.#schema, LOAD_MARKER_TABLE],
      );
    } catch (error) {
      throw this.#error(error, `Cannot discover tables of ${this.#where}`);
    }
    const tables = new Map<string, DiscoveredTable>();
    for (const row of rows) {
      let table = tables.get(row.table);
      if (!table) {
        table = { schema: this.#schema, name: row.table, columns: [] };
        tables.set(row.table, table);
      }
      table.columns.push({
        name: row.column,
        type: columnTypeFromPg(row.type),
      });
    }
    return [...tables.values()];
  }

  /**
   * Streams `request.table` (of the configured schema) or `request.query`
   * (`request.params` bound to its `$1…`) in batches of `batchSize` rows; an
   * empty result yields one empty batch that still names the columns.
   */
  async *read(request: ReadRequest): AsyncGenerator<RecordBatch> {
    const text = readSql(request, this.#schema);
    // Only a query has placeholders.
    if (request.query === undefined) request = { ...request, params: [] };
    const context = request.table !== undefined
      ? `Cannot read ${JSON.stringify(request.table)} from ${this.#where}`
      : `Cannot run query on ${this.#where}`;
    const userPool = request.query !== undefined ? this.#userSql : undefined;
    const batches = this.#sql
      ? readFromServer(this.#sql, text, request)
      : userPool
      ? readFromServer(userPool, text, request)
      : readFromDb(this.#db, text, {
        ...request,
        schema: this.#schema,
        asRole: request.query !== undefined ? this.#userRole : undefined,
      });
    try {
      yield* batches;
    } catch (error) {
      throw this.#error(error, context);
    }
  }

  /** Loads batches in one transaction (see pg_writer.ts). */
  write(
    batches: AsyncIterable<RecordBatch>,
    request: WriteRequest,
  ): Promise<WriteResult> {
    return writeBatches(this.#db, batches, {
      ...request,
      schema: this.#schema,
      secrets: this.#secrets,
    });
  }

  /**
   * Runs one statement (search path: the configured schema) in one
   * transaction; see pg_statement.ts.
   */
  async execute(request: StatementRequest): Promise<StatementResult> {
    try {
      return await executeStatement(
        this.#userDb ?? this.#db,
        request,
        this.#schema,
        { asRole: this.#userRole },
      );
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason;
      throw this.#error(error, `Cannot run statement on ${this.#where}`);
    }
  }

  /** Ends the pool of a server connection; the warehouse's Db stays open. */
  async close(): Promise<void> {
    if (this.#ownsDb) await this.#db.close();
  }

  #error(error: unknown, context: string) {
    return toConnectorError(error, context, { secrets: this.#secrets });
  }
}
