// Server-side sessions. The cookie carries a random token; the table keeps
// its SHA-256, so a database dump can't be replayed as a cookie. A session
// ends after SESSION_IDLE without use or SESSION_MAX after sign-in.

import type { Queryable } from "../db/db.ts";
import type { Principal, Role } from "./principal.ts";
import { hashToken, randomToken } from "./random_token.ts";

/** The session cookie's name. */
export const SESSION_COOKIE = "etl_session";
/** A session unused this long ends. */
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** A session ends this long after sign-in whatever its use. */
export const SESSION_MAX_MS = 7 * 24 * 60 * 60 * 1000;
/** last_seen_at is written at most this often (one write per request is waste). */
const TOUCH_EVERY_MS = 60 * 1000;

/** A new session's secret, to put in the cookie. */
export interface NewSession {
  token: string;
  expiresAt: Date;
}

/** Starts a session for `userId`. */
export async function createSession(
  db: Queryable,
  userId: number,
  client: { ip: string; userAgent: string },
): Promise<NewSession> {
  const token = randomToken(32);
  const expiresAt = new Date(Date.now() + SESSION_IDLE_MS);
  await db.query(
    `insert into session (id_hash, user_id, expires_at, ip, user_agent)
     values ($1, $2, $3, $4, $5)`,
    [
      await hashToken(token),
      userId,
      expiresAt,
      client.ip,
      client.userAgent.slice(0, 300),
    ],
  );
  return { token, expiresAt };
}

/** The user of a live session, or null (unknown, expired, user inactive). */
export async function sessionPrincipal(
  db: Queryable,
  token: string,
): Promise<Principal | null> {
  const idHash = await hashToken(token);
  const rows = await db.query<{
    user_id: number;
    email: string;
    name: string;
    role: Role;
    created_at: Date;
    last_seen_at: Date;
  }>(
    `select s.user_id, u.email, u.name, u.role, s.created_at, s.last_seen_at
       from session s join app_user u on u.id = s.user_id
      where s.id_hash = $1 and s.expires_at > now() and u.active`,
    [idHash],
  );
  const row = rows[0];
  if (!row) return null;
  const now = Date.now();
  if (now - new Date(row.last_seen_at).getTime() > TOUCH_EVERY_MS) {
    const maxEnd = new Date(row.created_at).getTime() + SESSION_MAX_MS;
    await db.query(
      `update session set last_seen_at = now(), expires_at = $2
        where id_hash = $1`,
      [idHash, new Date(Math.min(now + SESSION_IDLE_MS, maxEnd))],
    );
  }
  return {
    userId: Number(row.user_id),
    email: row.email,
    name: row.name,
    role: row.role,
    via: "session",
  };
}

/** Ends one session (sign-out). */
export async function deleteSession(
  db: Queryable,
  token: string,
): Promise<void> {
  await db.query(`delete from session where id_hash = $1`, [
    await hashToken(token),
  ]);
}

/** Ends every session of a user (sign-out everywhere); returns how many. */
export async function deleteUserSessions(
  db: Queryable,
  userId: number,
): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `with gone as (delete from session where user_id = $1 returning 1)
     select count(*)::int as n from gone`,
    [userId],
  );
  return Number(rows[0].n);
}

/** The `Set-Cookie` value for a session; `secure` when served over HTTPS. */
export function sessionCookie(
  token: string,
  options: { secure: boolean; maxAgeSeconds?: number },
): string {
  const parts = [
    `${SESSION_COOKIE}=${token}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    `Max-Age=${options.maxAgeSeconds ?? Math.floor(SESSION_MAX_MS / 1000)}`,
  ];
  if (options.secure) parts.push("Secure");
  return parts.join("; ");
}

/** The `Set-Cookie` value that deletes the session cookie. */
export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie("", { secure, maxAgeSeconds: 0 });
}

/** The session token in a request's Cookie header, if any. */
export function sessionTokenOf(req: Request): string | null {
  const header = req.headers.get("cookie");
  if (!header) return null;
  for (const part of header.split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === SESSION_COOKIE) return value.join("=") || null;
  }
  return null;
}
