// Test helper: the two flavours of the PostgreSQL connector, each on a fresh
// database: a user's server (a scratch database on the test server) and the
// local warehouse on `testDb()` (PGlite, or the server with ETL_TEST_DB=postgres).

import type { Db } from "../../lib/db/db.ts";
import { openPostgresDb } from "../../lib/db/postgres_db.ts";
import {
  createScratchDatabase,
  TEST_BACKEND,
  TEST_PG_URL,
  testDb,
} from "../../lib/db/test_db.ts";
import type { PostgresConfig } from "./config.ts";
import { PostgresConnector } from "./postgres_connector.ts";

/** A connector under test and a way to look at its database directly. */
export interface TestTarget {
  connector: PostgresConnector;
  /** The schema the connector works in. */
  schema: string;
  /** Direct access to the same database, for setup and inspection. */
  db: Db;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A flavour of the connector: how to make one on a fresh database. */
export interface TestFlavour {
  name: string;
  open(): Promise<TestTarget>;
}

/** Connection settings of the test server for database `database`. */
export function serverConfig(
  database: string,
  overrides: Partial<PostgresConfig> = {},
): PostgresConfig {
  const url = new URL(TEST_PG_URL);
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    database,
    user: decodeURIComponent(url.username || "postgres"),
    password: url.password ? decodeURIComponent(url.password) : undefined,
    ssl: "disable",
    schema: "public",
    ...overrides,
  };
}

/** A user's server: a scratch database, dropped afterwards. */
export const serverFlavour: TestFlavour = {
  name: "server",
  async open() {
    const scratch = await createScratchDatabase("etl_pgconn");
    const db = await openPostgresDb(scratch.url, { max: 2 });
    const database = new URL(scratch.url).pathname.slice(1);
    const connector = PostgresConnector.fromConfig(serverConfig(database));
    return {
      connector,
      schema: "public",
      db,
      async [Symbol.asyncDispose]() {
        await connector.close();
        await db.close();
        await scratch.drop();
      },
    };
  },
};

/** The local warehouse on the platform's own test database. */
export const warehouseFlavour: TestFlavour = {
  name: `warehouse/${TEST_BACKEND}`,
  async open() {
    const t = await testDb();
    await t.db.query("create schema if not exists warehouse");
    const connector = PostgresConnector.fromDb(t.db, { schema: "warehouse" });
    return {
      connector,
      schema: "warehouse",
      db: t.db,
      async [Symbol.asyncDispose]() {
        await connector.close();
        await t[Symbol.asyncDispose]();
      },
    };
  },
};

/** Both flavours. */
export const flavours: TestFlavour[] = [serverFlavour, warehouseFlavour];

/** Collects every batch of an async iterable. */
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
