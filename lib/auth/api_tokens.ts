// Personal API tokens: "etl_" + 32 random bytes, shown once, stored as
// SHA-256. They act as their user, with the user's current role, until they
// expire, are revoked, or the user is deactivated.

import { z } from "zod";
import type { Queryable } from "../db/db.ts";
import type { Principal, Role } from "./principal.ts";
import { hashToken, randomToken } from "./random_token.ts";

/** Every token starts with this, so secret scanners can spot leaked ones. */
export const TOKEN_PREFIX = "etl_";

/** Body of `POST /api/v1/tokens`. */
export const newTokenSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).describe(
    "What the token is for, e.g. ci-deploy",
  ),
  expiresInDays: z.number().int().min(1).max(3650).optional().describe(
    "Days until the token stops working; omit for no expiry",
  ),
});

/** A token as listed (never its secret). */
export interface ApiTokenView {
  id: number;
  name: string;
  /** The first characters, to recognise the token. */
  prefix: string;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

interface TokenRow {
  id: number;
  name: string;
  prefix: string;
  created_at: Date;
  expires_at: Date | null;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const COLUMNS =
  "id, name, prefix, created_at, expires_at, last_used_at, revoked_at";

function view(row: TokenRow): ApiTokenView {
  const date = (d: Date | null) => d === null ? null : new Date(d);
  return {
    id: Number(row.id),
    name: row.name,
    prefix: row.prefix,
    createdAt: new Date(row.created_at),
    expiresAt: date(row.expires_at),
    lastUsedAt: date(row.last_used_at),
    revokedAt: date(row.revoked_at),
  };
}

/** Creates a token for `userId`; the returned `token` is the only copy. */
export async function createApiToken(
  db: Queryable,
  userId: number,
  options: z.output<typeof newTokenSchema>,
): Promise<{ token: string; view: ApiTokenView }> {
  const token = randomToken(32, TOKEN_PREFIX);
  const expiresAt = options.expiresInDays
    ? new Date(Date.now() + options.expiresInDays * 86_400_000)
    : null;
  const rows = await db.query<TokenRow>(
    `insert into api_token (user_id, name, token_hash, prefix, expires_at)
     values ($1, $2, $3, $4, $5) returning ${COLUMNS}`,
    [
      userId,
      options.name,
      await hashToken(token),
      token.slice(0, TOKEN_PREFIX.length + 6),
      expiresAt,
    ],
  );
  return { token, view: view(rows[0]) };
}

/** A user's tokens, newest first. */
export async function listApiTokens(
  db: Queryable,
  userId: number,
): Promise<ApiTokenView[]> {
  const rows = await db.query<TokenRow>(
    `select ${COLUMNS} from api_token where user_id = $1 order by id desc`,
    [userId],
  );
  return rows.map(view);
}

/** Revokes one of `userId`'s tokens; false when it isn't theirs or doesn't exist. */
export async function revokeApiToken(
  db: Queryable,
  userId: number,
  tokenId: number,
): Promise<ApiTokenView | null> {
  const rows = await db.query<TokenRow>(
    `update api_token set revoked_at = coalesce(revoked_at, now())
      where id = $1 and user_id = $2 returning ${COLUMNS}`,
    [tokenId, userId],
  );
  return rows[0] ? view(rows[0]) : null;
}

/** The user a bearer token acts as, or null (unknown, expired, revoked, inactive). */
export async function tokenPrincipal(
  db: Queryable,
  token: string,
): Promise<Principal | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const rows = await db.query<
    { id: number; user_id: number; email: string; name: string; role: Role }
  >(
    `update api_token t set last_used_at = now()
       from app_user u
      where t.token_hash = $1 and u.id = t.user_id and u.active
        and t.revoked_at is null
        and (t.expires_at is null or t.expires_at > now())
      returning t.id, t.user_id, u.email, u.name, u.role`,
    [await hashToken(token)],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    userId: Number(row.user_id),
    email: row.email,
    name: row.name,
    role: row.role,
    via: "token",
    tokenId: Number(row.id),
  };
}
