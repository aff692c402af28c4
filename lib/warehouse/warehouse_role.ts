// The database role user-written SQL on the local warehouse runs as, so an
// editor's query or sql step cannot reach the platform's own `etl` schema.
// PostgreSQL backend: a LOGIN role with its own small pool (the session user
// is the role: `reset role` changes nothing). Embedded PGlite: one superuser
// session only, so a NOLOGIN role taken with `set local role` plus a guard
// against statements changing the role — best effort (see architecture.md).

import type postgres from "postgres";
import { type Db, METADATA_SCHEMA, quoteIdent } from "../db/db.ts";
import { log } from "../log/logger.ts";
import type { SecretBox } from "../secrets/secret_box.ts";
import { openServerPool } from "../../connectors/postgres/server_db.ts";
import type { WarehouseUserSql } from "../../connectors/postgres/postgres_connector.ts";

/** The schema of the platform's database that is the local warehouse. */
export const WAREHOUSE_SCHEMA = "warehouse";

/** The NOLOGIN role of the embedded backend. */
export const EMBEDDED_WAREHOUSE_ROLE = "etl_warehouse_user";

// Serializes set-up across the processes of a fleet starting together.
const ROLE_LOCK_KEY = 7_243_010;

/** How user-written SQL on the warehouse runs in this process. */
export interface WarehouseAccess {
  /** What the warehouse connector routes user SQL through; absent: the platform's own user. */
  userSql?: WarehouseUserSql;
  /** Ends the role's pool, if any. */
  close(): Promise<void>;
}

/** The login role for database `database`: `etl_wh_<name>`, at most 63 bytes. */
export async function warehouseRoleName(database: string): Promise<string> {
  const name = `etl_wh_${database}`;
  if (new TextEncoder().encode(name).length <= 63) return name;
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(database)),
  );
  const hash = Array.from(
    digest.slice(0, 4),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  let prefix = name;
  while (new TextEncoder().encode(prefix).length > 54) {
    prefix = prefix.slice(0, -1);
  }
  return `${prefix}_${hash}`;
}

/**
 * Creates (or reuses) the warehouse role and its privileges and opens what
 * user SQL runs through. `databaseUrl` is the platform's own (PostgreSQL
 * backend). Without CREATEROLE, or when the role cannot connect, it warns
 * once and user SQL keeps running as the platform's user.
 */
export async function openWarehouseAccess(
  db: Db,
  box: SecretBox,
  databaseUrl: string | undefined,
  warn: (message: string) => void = (m) => log.warn(m),
): Promise<WarehouseAccess> {
  const shared: WarehouseAccess = { close: async () => {} };
  if (db.backend === "pglite") {
    await db.transaction(async (tx) => {
      const role = EMBEDDED_WAREHOUSE_ROLE;
      const [found] = await tx.query(
        "select 1 from pg_roles where rolname = $1",
        [
          role,
        ],
      );
      if (!found) await tx.query(`create role ${quoteIdent(role)} nologin`);
      await grantPrivileges(tx, role);
    });
    return {
      userSql: { role: EMBEDDED_WAREHOUSE_ROLE },
      close: async () => {},
    };
  }
  const [me] = await db.query<
    { database: string; user: string; can: boolean }
  >(
    `select current_database() as database, current_user as user,
            (rolsuper or rolcreaterole) as can
       from pg_roles where rolname = current_user`,
  );
  if (!databaseUrl) {
    warn(
      `no database URL to open the warehouse role's pool with, so SQL written by pipeline editors on the local warehouse runs as the platform's own user`,
    );
    return shared;
  }
  if (!me?.can) {
    warn(
      `the database user ${
        JSON.stringify(me?.user)
      } has no CREATEROLE, so SQL written by pipeline editors on the local warehouse runs as the platform's own user and can reach the "${METADATA_SCHEMA}" schema; grant CREATEROLE (ALTER ROLE … CREATEROLE) to isolate it`,
    );
    return shared;
  }
  const role = await warehouseRoleName(me.database);
  const password = await db.transaction(async (tx) => {
    await tx.query("select pg_advisory_xact_lock($1)", [ROLE_LOCK_KEY]);
    const [exists] = await tx.query(
      "select 1 from pg_roles where rolname = $1",
      [role],
    );
    const [stored] = await tx.query<
      { key_id: string; wrapped_key: string | null; ciphertext: string }
    >(
      "select key_id, wrapped_key, ciphertext from warehouse_login where role_name = $1",
      [role],
    );
    let password: string | undefined;
    if (stored) {
      try {
        password = await box.decrypt({
          keyId: stored.key_id,
          wrappedKey: stored.wrapped_key,
          ciphertext: stored.ciphertext,
        }, "password of the warehouse role");
      } catch {
        // Its key was retired: a new password replaces it below.
      }
    }
    const fresh = !exists || password === undefined;
    if (fresh) password = randomPassword();
    // Generated base64url: safe inside a literal.
    const attributes =
      `login nosuperuser nocreatedb nocreaterole password '${password}'`;
    if (!exists) {
      await tx.query(`create role ${quoteIdent(role)} ${attributes}`);
    } else if (fresh) {
      await tx.query(`alter role ${quoteIdent(role)} ${attributes}`);
    }
    if (fresh) {
      const sealed = await box.encrypt(password!);
      await tx.query(
        `insert into warehouse_login (role_name, key_id, wrapped_key, ciphertext)
         values ($1, $2, $3, $4)
         on conflict (role_name) do update set key_id = excluded.key_id,
           wrapped_key = excluded.wrapped_key, ciphertext = excluded.ciphertext,
           updated_at = now()`,
        [role, sealed.keyId, sealed.wrappedKey, sealed.ciphertext],
      );
    }
    await tx.query(
      `grant connect on database ${quoteIdent(me.database)} to ${
        quoteIdent(role)
      }`,
    );
    // Tables the role creates stay loadable by the platform (inherited).
    await tx.query(`grant ${quoteIdent(role)} to current_user`);
    await grantPrivileges(tx, role);
    return password!;
  });
  const sql = openPool(databaseUrl, role, password);
  try {
    await sql`select 1`;
  } catch (error) {
    await sql.end({ timeout: 1 }).catch(() => {});
    warn(
      `cannot connect as the warehouse role ${JSON.stringify(role)} (${
        (error as Error).message
      }); SQL written by pipeline editors on the local warehouse runs as the platform's own user — allow the role in pg_hba.conf`,
    );
    return shared;
  }
  return { userSql: { sql }, close: () => sql.end({ timeout: 5 }) };
}

// USAGE and CREATE on `warehouse` and every table in it, nothing on `etl`.
async function grantPrivileges(
  tx: { query: Db["query"] },
  role: string,
): Promise<void> {
  const r = quoteIdent(role);
  const wh = quoteIdent(WAREHOUSE_SCHEMA);
  for (
    const statement of [
      `revoke all on schema ${quoteIdent(METADATA_SCHEMA)} from public`,
      `revoke all on schema ${quoteIdent(METADATA_SCHEMA)} from ${r}`,
      `revoke all on all tables in schema ${
        quoteIdent(METADATA_SCHEMA)
      } from ${r}`,
      // PostgreSQL before 15 lets everyone create in `public`.
      "revoke create on schema public from public",
      `grant usage, create on schema ${wh} to ${r}`,
      `grant all on all tables in schema ${wh} to ${r}`,
      `grant all on all sequences in schema ${wh} to ${r}`,
      `alter default privileges in schema ${wh} grant all on tables to ${r}`,
      `alter default privileges in schema ${wh} grant all on sequences to ${r}`,
    ]
  ) await tx.query(statement);
}

function randomPassword(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-")
    .replaceAll("/", "_").replaceAll("=", "");
}

// Same host, port, database and TLS as the platform's URL; the role's login.
function openPool(url: string, user: string, password: string): postgres.Sql {
  const parsed = new URL(url);
  const mode = parsed.searchParams.get("sslmode") ??
    parsed.searchParams.get("ssl");
  const ssl = mode === "require" || mode === "true"
    ? "require"
    : mode === "verify-full" || mode === "verify-ca"
    ? "verify-full"
    : "disable";
  return openServerPool({
    host: decodeURIComponent(parsed.hostname.replace(/^\[|\]$/g, "")) ||
      "127.0.0.1",
    port: Number(parsed.port || 5432),
    database: decodeURIComponent(parsed.pathname.slice(1)),
    user,
    password,
    ssl,
    schema: WAREHOUSE_SCHEMA,
  }, { max: 4 });
}
