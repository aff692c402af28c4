// Applies the plain SQL files in migrations/ in name order, once each,
// recording them in a table, under a lock so concurrent starts are safe.

import { type Db, METADATA_SCHEMA } from "./db.ts";

const MIGRATIONS_DIR = new URL("../../migrations/", import.meta.url);
// Any fixed number: all processes of the platform take the same lock.
const MIGRATION_LOCK_KEY = 7_243_001;

/** One migration file. */
export interface Migration {
  name: string;
  sql: string;
}

/** Reads the migration files, sorted by name. */
export async function loadMigrations(
  dir: URL = MIGRATIONS_DIR,
): Promise<Migration[]> {
  const migrations: Migration[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".sql")) continue;
    migrations.push({
      name: entry.name,
      sql: await Deno.readTextFile(new URL(entry.name, dir)),
    });
  }
  return migrations.sort((a, b) => a.name.localeCompare(b.name));
}

/** Applies pending migrations; returns the names it applied. */
export async function migrate(
  db: Db,
  migrations?: Migration[],
): Promise<string[]> {
  const all = migrations ?? await loadMigrations();
  return await db.transaction(async (tx) => {
    // Held until commit: a second process waits, then finds nothing to do.
    await tx.query("select pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
    await tx.query(`create schema if not exists ${METADATA_SCHEMA}`);
    await tx.query(
      `create table if not exists ${METADATA_SCHEMA}.schema_migration (
        name text primary key,
        applied_at timestamptz not null default now()
      )`,
    );
    const done = new Set(
      (await tx.query<{ name: string }>(
        `select name from ${METADATA_SCHEMA}.schema_migration`,
      )).map((row) => row.name),
    );
    const applied: string[] = [];
    for (const migration of all) {
      if (done.has(migration.name)) continue;
      await tx.query(`set local search_path to ${METADATA_SCHEMA}, public`);
      for (const statement of splitStatements(migration.sql)) {
        await tx.query(statement);
      }
      await tx.query(
        `insert into ${METADATA_SCHEMA}.schema_migration (name) values ($1)`,
        [migration.name],
      );
      applied.push(migration.name);
    }
    return applied;
  });
}

/**
 * Splits a migration into statements: extended-protocol queries take one
 * statement each. Handles comments and quoted strings; `$$` bodies are kept
 * whole.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = "";
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i];
    if (ch === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      i = end === -1 ? sql.length : end + 1;
      continue;
    }
    if (ch === "'" || ch === '"') {
      const end = sql.indexOf(ch, i + 1);
      const stop = end === -1 ? sql.length : end + 1;
      current += sql.slice(i, stop);
      i = stop;
      continue;
    }
    if (ch === "$" && sql[i + 1] === "$") {
      const end = sql.indexOf("$$", i + 2);
      const stop = end === -1 ? sql.length : end + 2;
      current += sql.slice(i, stop);
      i = stop;
      continue;
    }
    if (ch === ";") {
      if (current.trim()) statements.push(current.trim());
      current = "";
      i++;
      continue;
    }
    current += ch;
    i++;
  }
  if (current.trim()) statements.push(current.trim());
  return statements;
}
