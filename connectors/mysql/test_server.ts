// Test helper: a scratch database on the test MariaDB / MySQL server
// (ETL_TEST_MYSQL_URL, default root without password on 127.0.0.1:3306),
// a connector on it and a direct connection for setup and inspection.

import mysql from "mysql2/promise";
import type { MysqlConfig } from "./config.ts";
import { MysqlConnector } from "./mysql_connector.ts";

/** The server tests use. */
export const TEST_MYSQL_URL = Deno.env.get("ETL_TEST_MYSQL_URL") ??
  "mysql://root@127.0.0.1:3306/test";

/** Connection settings of the test server for `database`. */
export function mysqlTestConfig(
  database: string,
  overrides: Partial<MysqlConfig> = {},
): MysqlConfig {
  const url = new URL(TEST_MYSQL_URL);
  return {
    host: url.hostname,
    port: Number(url.port || 3306),
    database,
    user: decodeURIComponent(url.username || "root"),
    password: url.password ? decodeURIComponent(url.password) : undefined,
    ssl: "disable",
    ...overrides,
  };
}

/** Options of a direct mysql2 connection to the server of `config`. */
export function directOptions(config: MysqlConfig): mysql.ConnectionOptions {
  return {
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    timezone: "Z",
    dateStrings: ["DATE"],
    supportBigNumbers: true,
    charset: "UTF8MB4_UNICODE_CI",
  };
}

/** A short random suffix for scratch names. */
export function randomSuffix(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 10);
}

/** A scratch database, a connector on it and a direct connection to it. */
export interface MysqlScratch {
  database: string;
  config: MysqlConfig;
  connector: MysqlConnector;
  /** A direct connection to the scratch database (UTC session). */
  db: mysql.Connection;
  /** Rows of `sql` as objects. */
  rows<T = Record<string, unknown>>(
    sql: string,
    values?: unknown[],
  ): Promise<T[]>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Creates `etl_test_<random>`; disposing drops it. */
export async function scratchMysql(): Promise<MysqlScratch> {
  const database = `etl_test_${randomSuffix()}`;
  const config = mysqlTestConfig(database);
  const admin = await mysql.createConnection(directOptions(config));
  await admin.query(`create database ${database} character set utf8mb4`);
  await admin.end();
  const db = await mysql.createConnection({
    ...directOptions(config),
    database,
  });
  await db.query("set time_zone = '+00:00'");
  const connector = new MysqlConnector(config);
  return {
    database,
    config,
    connector,
    db,
    async rows<T>(sql: string, values: unknown[] = []) {
      const [rows] = await db.query(sql, values);
      return rows as T[];
    },
    async [Symbol.asyncDispose]() {
      await connector.close();
      await db.query(`drop database if exists ${database}`);
      await db.end();
    },
  };
}

/** Collects every item of an async iterable. */
export async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of source) all.push(item);
  return all;
}

/** Yields `batches`, then throws `error` when given. */
export async function* source<T>(
  batches: T[],
  error?: Error,
): AsyncGenerator<T> {
  for (const batch of batches) {
    await Promise.resolve();
    yield batch;
  }
  if (error) throw error;
}
