// The first admin: from ETL_ADMIN_EMAIL + ETL_ADMIN_PASSWORD when set,
// otherwise through a one-time setup link printed at start (valid one hour).

import type { Db } from "../db/db.ts";
import { recordAudit } from "../audit/audit_log.ts";
import { hashToken, randomToken } from "./random_token.ts";
import {
  countUsers,
  createUser,
  emailSchema,
  passwordSchema,
} from "./users.ts";

/** How long a setup link works. */
export const SETUP_LINK_TTL_MS = 60 * 60 * 1000;

/** What ensureFirstAdmin() did. */
export type FirstAdmin =
  | { kind: "exists" }
  | { kind: "created"; email: string }
  | { kind: "setup-link"; token: string; expiresAt: Date };

/**
 * Makes sure someone can administer the platform. Runs at every start; does
 * nothing once any user exists.
 */
export async function ensureFirstAdmin(
  db: Db,
  env: { ETL_ADMIN_EMAIL?: string; ETL_ADMIN_PASSWORD?: string },
): Promise<FirstAdmin> {
  if (await countUsers(db) > 0) return { kind: "exists" };
  if (env.ETL_ADMIN_EMAIL || env.ETL_ADMIN_PASSWORD) {
    const email = emailSchema.safeParse(env.ETL_ADMIN_EMAIL ?? "");
    if (!email.success) {
      throw new Error(
        `Cannot create the first admin: ETL_ADMIN_EMAIL ${
          JSON.stringify(env.ETL_ADMIN_EMAIL ?? "")
        } is not an email address`,
      );
    }
    const password = passwordSchema.safeParse(env.ETL_ADMIN_PASSWORD ?? "");
    if (!password.success) {
      throw new Error(
        `Cannot create the first admin: ETL_ADMIN_PASSWORD ${
          password.error.issues[0].message
        }`,
      );
    }
    const user = await createUser(db, {
      email: email.data,
      name: "Admin",
      role: "admin",
      password: password.data,
    });
    await recordAudit(db, {
      actor: { id: null, label: "system" },
      action: "user.create",
      target: { type: "user", id: user.id, name: user.email },
      detail: { role: "admin", from: "ETL_ADMIN_EMAIL" },
    });
    return { kind: "created", email: user.email };
  }
  const token = randomToken(24);
  const expiresAt = new Date(Date.now() + SETUP_LINK_TTL_MS);
  await db.query(`delete from setup_token where expires_at < now()`);
  await db.query(
    `insert into setup_token (token_hash, expires_at) values ($1, $2)`,
    [await hashToken(token), expiresAt],
  );
  return { kind: "setup-link", token, expiresAt };
}

/**
 * Creates the first admin from a setup link. Fails (returns null) if the
 * link is unknown, used or expired, or if a user already exists.
 */
export async function useSetupToken(
  db: Db,
  token: string,
  admin: { email: string; name: string; password: string },
): Promise<{ id: number; email: string } | null> {
  const tokenHash = await hashToken(token);
  return await db.transaction(async (tx) => {
    // Serializes concurrent setups: only one can create the first admin.
    const rows = await tx.query<{ token_hash: string }>(
      `update setup_token set used_at = now()
        where token_hash = $1 and used_at is null and expires_at > now()
        returning token_hash`,
      [tokenHash],
    );
    if (!rows[0]) return null;
    await tx.query(`lock table app_user in exclusive mode`);
    if (await countUsers(tx) > 0) return null;
    const user = await createUser(tx, { ...admin, role: "admin" });
    await tx.query(`delete from setup_token`);
    await recordAudit(tx, {
      actor: { id: user.id, label: user.email },
      action: "user.create",
      target: { type: "user", id: user.id, name: user.email },
      detail: { role: "admin", from: "setup link" },
    });
    return { id: user.id, email: user.email };
  });
}

/** Whether a setup link is currently valid (for the setup page). */
export async function setupTokenValid(
  db: Db,
  token: string,
): Promise<boolean> {
  const rows = await db.query(
    `select 1 from setup_token
      where token_hash = $1 and used_at is null and expires_at > now()`,
    [await hashToken(token)],
  );
  return rows.length > 0;
}
