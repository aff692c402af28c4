// Test helper: a fresh, migrated database on the backend chosen by
// ETL_TEST_DB (`pglite`, the default, or `postgres`: a new database on the
// server at ETL_TEST_PG_URL, dropped afterwards).

import type { Db } from "./db.ts";
import { migrate } from "./migrate.ts";
import { dumpPgliteDb, openPgliteDb } from "./pglite_db.ts";
import { openPostgresDb } from "./postgres_db.ts";
import postgres from "postgres";
import { quoteIdent } from "./db.ts";
import { warehouseRoleName } from "../warehouse/warehouse_role.ts";

/** The server tests use for the postgres backend and for PostgreSQL connectors. */
export const TEST_PG_URL = Deno.env.get("ETL_TEST_PG_URL") ??
  "postgres://postgres@127.0.0.1:5432/postgres";

/** The backend under test. */
export const TEST_BACKEND = Deno.env.get("ETL_TEST_DB") === "postgres"
  ? "postgres"
  : "pglite";

/** A database made for one test. */
export interface TestDb {
  db: Db;
  /** Set for the postgres backend: the new database's URL. */
  url?: string;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Creates an empty PostgreSQL database on the test server; returns its URL and a dropper. */
export async function createScratchDatabase(
  prefix = "etl_test",
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${
    crypto.randomUUID().replaceAll("-", "").slice(0, 12)
  }`;
  const admin = postgres(TEST_PG_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const admin = postgres(TEST_PG_URL, { max: 1, onnotice: () => {} });
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      // The warehouse role made for it (lib/warehouse): roles are
      // cluster-wide and would pile up test after test.
      await admin.unsafe(
        `drop role if exists ${quoteIdent(await warehouseRoleName(name))}`,
      );
      await admin.end();
    },
  };
}

// Creating a PGlite database costs seconds (initdb); loading a migrated
// template's tarball costs a fraction of that, so each test process makes one.
let pgliteTemplate: Promise<Blob> | undefined;

function migratedPgliteTemplate(): Promise<Blob> {
  pgliteTemplate ??= (async () => {
    const db = await openPgliteDb();
    await migrate(db);
    const dump = await dumpPgliteDb(db);
    await db.close();
    return dump;
  })();
  return pgliteTemplate;
}

/**
 * Opens a fresh migrated database for one test: `await using t = await testDb()`.
 * `backend` overrides the backend under test, for tests of what only exists
 * on PostgreSQL (worker processes sharing one database).
 */
export async function testDb(
  backend: "pglite" | "postgres" = TEST_BACKEND,
): Promise<TestDb> {
  if (backend === "pglite") {
    const db = await openPgliteDb({
      loadDataDir: await migratedPgliteTemplate(),
    });
    return { db, [Symbol.asyncDispose]: () => db.close() };
  }
  const scratch = await createScratchDatabase();
  const db = await openPostgresDb(scratch.url, { max: 4 });
  await migrate(db);
  return {
    db,
    url: scratch.url,
    async [Symbol.asyncDispose]() {
      await db.close();
      await scratch.drop();
    },
  };
}
