// The MySQL / MariaDB connector: each verb opens its own connection (a read
// streams for as long as its consumer takes and a write holds a
// transaction), set to UTC so DATETIME and TIMESTAMP read as the same instants.

import type { Connection as CallbackConnection } from "mysql2";
import mysql from "mysql2/promise";
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
import type { MysqlConfig } from "./config.ts";
import { toConnectorError } from "./mysql_errors.ts";
import { readSql, streamBatches } from "./mysql_reader.ts";
import { discoverTables } from "./mysql_schema.ts";
import { writeBatches } from "./mysql_writer.ts";
import { executeStatement } from "./mysql_statement.ts";

/** Options for {@linkcode MysqlConnector}. */
export interface MysqlConnectorOptions {
  /** Seconds to wait for a connection before a ConnectionError (default 10). */
  connectTimeoutSeconds?: number;
}

/** Reads and writes tables of one MySQL or MariaDB database. */
export class MysqlConnector implements Connector {
  /** `query` takes `?` placeholders for `params`. */
  readonly sqlDialect = "mysql";
  #config: MysqlConfig;
  #timeout: number;
  #where: string;
  #secrets: string[];

  /** A connector for `config`; nothing connects until a verb runs. */
  constructor(config: MysqlConfig, options: MysqlConnectorOptions = {}) {
    this.#config = config;
    this.#timeout = options.connectTimeoutSeconds ?? 10;
    this.#where = `MySQL at ${config.host}:${config.port} as ${
      JSON.stringify(config.user)
    }`;
    this.#secrets = config.password ? [config.password] : [];
  }

  /** Connects and returns the server version, e.g. "MariaDB 10.11.19". */
  async check(): Promise<CheckResult> {
    const conn = await this.#connect();
    try {
      const [rows] = await conn.query("select version() as version");
      const raw = (rows as { version: string }[])[0].version;
      const number = raw.match(/^[\d.]+/)?.[0] ?? raw;
      const product = /mariadb/i.test(raw) ? "MariaDB" : "MySQL";
      return { ok: true, version: `${product} ${number}` };
    } catch (error) {
      throw this.#error(error, `Cannot connect to ${this.#where}`);
    } finally {
      await conn.end().catch(() => {});
    }
  }

  /** Tables and views of the database with platform column types. */
  async discover(): Promise<DiscoveredTable[]> {
    const conn = await this.#connect();
    try {
      return await discoverTables(conn);
    } catch (error) {
      throw this.#error(error, `Cannot discover tables of ${this.#where}`);
    } finally {
      await conn.end().catch(() => {});
    }
  }

  /**
   * Streams `request.table` or `request.query` (`request.params` bound to
   * its `?` placeholders by the driver) in batches of `batchSize`
   * rows (default 10,000), after `request.cursor` when given. Decimals are
   * exact strings, DATE "YYYY-MM-DD", DATETIME and TIMESTAMP UTC Dates,
   * BIGINT a number when exact (else a string), tinyint(1) a boolean.
   */
  async *read(request: ReadRequest): AsyncGenerator<RecordBatch> {
    const { sql, values } = readSql(request);
    const context = request.table !== undefined
      ? `Cannot read ${JSON.stringify(request.table)} from ${this.#where}`
      : `Cannot run query on ${this.#where}`;
    const conn = await this.#connect();
    let finished = false;
    try {
      if (values.length > 0) {
        // mysql2 sends values escaped with backslashes: make sure the
        // session reads them so, whatever the server's default sql_mode.
        await conn.query(
          "set session sql_mode = trim(both ',' from replace(concat(',', @@session.sql_mode, ','), ',NO_BACKSLASH_ESCAPES,', ','))",
        );
      }
      yield* streamBatches(callbackConnection(conn), sql, {
        values,
        batchSize: request.batchSize,
        signal: request.signal,
      });
      finished = true;
    } catch (error) {
      throw this.#error(error, context);
    } finally {
      // Stopped early or failed: the query may still be sending rows.
      if (finished) await conn.end().catch(() => {});
      else conn.destroy();
    }
  }

  /**
   * Loads batches in one transaction (see mysql_writer.ts): append, replace
   * (delete then insert) or merge on `keys` (INSERT … ON DUPLICATE KEY UPDATE).
   */
  async write(
    batches: AsyncIterable<RecordBatch>,
    request: WriteRequest,
  ): Promise<WriteResult> {
    const conn = await this.#connect();
    try {
      // Strict for this session: a bad value fails the load, never a warning.
      await conn.query(
        "set session sql_mode = concat_ws(',', nullif(@@session.sql_mode, ''), 'STRICT_ALL_TABLES')",
      );
      return await writeBatches(conn, batches, {
        ...request,
        secrets: this.#secrets,
      });
    } finally {
      await conn.end().catch(() => conn.destroy());
    }
  }

  /**
   * Runs one statement in one transaction (see mysql_statement.ts).
   * Aborting `request.signal` kills the query (`KILL QUERY`) and drops the
   * connection, which rolls the transaction back.
   */
  async execute(request: StatementRequest): Promise<StatementResult> {
    const conn = await this.#connect();
    const onAbort = () => {
      this.#killQuery(conn.threadId).catch(() => {}).finally(() =>
        conn.destroy()
      );
    };
    request.signal?.addEventListener("abort", onAbort);
    let finished = false;
    try {
      if ((request.params ?? []).length > 0) {
        // As in read(): values are sent escaped with backslashes.
        await conn.query(
          "set session sql_mode = trim(both ',' from replace(concat(',', @@session.sql_mode, ','), ',NO_BACKSLASH_ESCAPES,', ','))",
        );
      }
      const result = await executeStatement(conn, request);
      finished = true;
      return result;
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason;
      throw this.#error(error, `Cannot run statement on ${this.#where}`);
    } finally {
      request.signal?.removeEventListener("abort", onAbort);
      // Failed: closing the connection rolls back what is still open.
      if (finished) await conn.end().catch(() => conn.destroy());
      else conn.destroy();
    }
  }

  /** Nothing to release: connections live only as long as one verb. */
  async close(): Promise<void> {}

  // Stops the query running on connection `threadId` from a second one.
  async #killQuery(threadId: number | null): Promise<void> {
    if (threadId === null) return;
    const killer = await this.#connect();
    try {
      await killer.query(`kill query ${Number(threadId)}`);
    } finally {
      await killer.end().catch(() => killer.destroy());
    }
  }

  async #connect(): Promise<mysql.Connection> {
    const c = this.#config;
    try {
      const conn = await mysql.createConnection({
        host: c.host,
        port: c.port,
        user: c.user,
        password: c.password,
        database: c.database,
        ssl: c.ssl === "disable"
          ? undefined
          : { rejectUnauthorized: c.ssl === "verify-full" },
        connectTimeout: this.#timeout * 1000,
        charset: "UTF8MB4_UNICODE_CI",
        timezone: "Z",
        dateStrings: ["DATE"],
        supportBigNumbers: true,
        // Numbers when exact, strings beyond 2^53: as the PostgreSQL reader.
        bigNumberStrings: false,
        decimalNumbers: false,
      });
      // The session zone decides how TIMESTAMP columns are sent.
      await conn.query("set time_zone = '+00:00'");
      return conn;
    } catch (error) {
      throw this.#error(error, `Cannot connect to ${this.#where}`);
    }
  }

  #error(error: unknown, context: string) {
    return toConnectorError(error, context, {
      secrets: this.#secrets,
      timeoutSeconds: this.#timeout,
    });
  }
}

// Streaming needs the callback connection under the promise wrapper, which
// mysql2 keeps as `.connection` but leaves out of its typings.
function callbackConnection(conn: mysql.Connection): CallbackConnection {
  return (conn as unknown as { connection: CallbackConnection }).connection;
}
