// Picks the backend from the configuration: DATABASE_URL → PostgreSQL,
// otherwise embedded PGlite under the data directory (locked for this process).

import type { Db } from "./db.ts";
import { type DataDirLock, lockDataDir } from "./data_dir_lock.ts";
import { migrate } from "./migrate.ts";
import { openPgliteDb } from "./pglite_db.ts";
import { openPostgresDb } from "./postgres_db.ts";

/** Options for {@linkcode openDb}. */
export interface OpenDbOptions {
  databaseUrl?: string;
  dataDir: string;
}

/** An open, migrated database and what it is, for the start-up banner. */
export interface OpenedDb {
  db: Db;
  /** Human description: a redacted URL or the PGlite directory. */
  location: string;
  close(): Promise<void>;
}

/** Opens and migrates the platform's database. */
export async function openDb(options: OpenDbOptions): Promise<OpenedDb> {
  if (options.databaseUrl) {
    const db = await openPostgresDb(options.databaseUrl);
    await migrate(db);
    return {
      db,
      location: redactUrl(options.databaseUrl),
      close: () => db.close(),
    };
  }
  const lock: DataDirLock = await lockDataDir(options.dataDir);
  try {
    const db = await openPgliteDb({ dataDir: `${options.dataDir}/pgdata` });
    await migrate(db);
    return {
      db,
      location: `embedded PGlite in ${options.dataDir}/pgdata`,
      async close() {
        await db.close();
        lock.release();
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}

/** `postgres://u:secret@h/db` → `postgres://u:***@h/db`: never print a password. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable DATABASE_URL)";
  }
}
