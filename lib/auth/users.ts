// Accounts: create, list, change role, deactivate. Deactivating ends the
// user's sessions at once; their API tokens stop working because every
// authentication checks `active`.

import { z } from "zod";
import type { Db, Queryable } from "../db/db.ts";
import { hashPassword, passwordProblem } from "./password.ts";
import { type Role, ROLES } from "./principal.ts";

/** A user as the API and UI show it (never the password hash). */
export interface UserView {
  id: number;
  email: string;
  name: string;
  role: Role;
  active: boolean;
  createdAt: Date;
}

/** An email address, lower-cased (accounts are matched case-insensitively). */
export const emailSchema = z.string().trim().toLowerCase().max(254).regex(
  /^[^\s@]+@[^\s@]+$/,
  "must be an email address",
).describe("Email address used to sign in");

/** A password that passes the length rule. */
export const passwordSchema = z.string().superRefine((value, ctx) => {
  const problem = passwordProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
}).describe("At least 12 characters");

/** Body of `POST /api/v1/users`. */
export const newUserSchema = z.strictObject({
  email: emailSchema,
  name: z.string().trim().max(200).default(""),
  role: z.enum(ROLES),
  password: passwordSchema,
});

/** Body of `PUT /api/v1/users/{id}`: every field optional. */
export const userChangesSchema = z.strictObject({
  name: z.string().trim().max(200).optional(),
  role: z.enum(ROLES).optional(),
  active: z.boolean().optional(),
  password: passwordSchema.optional(),
});

/** What createUser() needs. */
export type NewUser = z.output<typeof newUserSchema>;
/** What updateUser() changes. */
export type UserChanges = z.output<typeof userChangesSchema>;

/** Raised when an email is already taken. */
export class EmailTakenError extends Error {
  constructor(email: string) {
    super(
      `Cannot create user: ${JSON.stringify(email)} already has an account`,
    );
    this.name = "EmailTakenError";
  }
}

const COLUMNS = "id, email, name, role, active, created_at";

interface UserRow {
  id: number;
  email: string;
  name: string;
  role: Role;
  active: boolean;
  created_at: Date;
}

function view(row: UserRow): UserView {
  return {
    id: Number(row.id),
    email: row.email,
    name: row.name,
    role: row.role,
    active: row.active,
    createdAt: new Date(row.created_at),
  };
}

/** Creates a user; throws EmailTakenError for a duplicate email. */
export async function createUser(
  db: Queryable,
  user: NewUser,
): Promise<UserView> {
  const hash = await hashPassword(user.password);
  const rows = await db.query<UserRow>(
    `insert into app_user (email, name, role, password_hash)
     values ($1, $2, $3, $4) on conflict (email) do nothing
     returning ${COLUMNS}`,
    [user.email, user.name, user.role, hash],
  );
  if (!rows[0]) throw new EmailTakenError(user.email);
  return view(rows[0]);
}

/** All users, by email. */
export async function listUsers(db: Queryable): Promise<UserView[]> {
  const rows = await db.query<UserRow>(
    `select ${COLUMNS} from app_user order by email`,
  );
  return rows.map(view);
}

/** One user, or null. */
export async function getUser(
  db: Queryable,
  id: number,
): Promise<UserView | null> {
  const rows = await db.query<UserRow>(
    `select ${COLUMNS} from app_user where id = $1`,
    [id],
  );
  return rows[0] ? view(rows[0]) : null;
}

/** The user and password hash for an email, for sign-in. */
export async function findUserForSignIn(
  db: Queryable,
  email: string,
): Promise<(UserView & { passwordHash: string | null }) | null> {
  const rows = await db.query<UserRow & { password_hash: string | null }>(
    `select ${COLUMNS}, password_hash from app_user where email = $1`,
    [email.trim().toLowerCase()],
  );
  const row = rows[0];
  return row ? { ...view(row), passwordHash: row.password_hash } : null;
}

/** Number of users (0 before the first admin exists). */
export async function countUsers(db: Queryable): Promise<number> {
  const rows = await db.query<{ n: number }>(
    `select count(*)::int as n from app_user`,
  );
  return Number(rows[0].n);
}

/**
 * Applies `changes`; a deactivation or password change ends the user's
 * sessions in the same transaction. Returns null when the user doesn't exist.
 * Refuses to demote or deactivate the last active admin.
 */
export async function updateUser(
  db: Db,
  id: number,
  changes: UserChanges,
): Promise<UserView | null> {
  const hash = changes.password ? await hashPassword(changes.password) : null;
  return await db.transaction(async (tx) => {
    const current = await tx.query<UserRow>(
      `select ${COLUMNS} from app_user where id = $1 for update`,
      [id],
    );
    if (!current[0]) return null;
    const losesAdmin = current[0].role === "admin" && current[0].active &&
      ((changes.role && changes.role !== "admin") || changes.active === false);
    if (losesAdmin) {
      const admins = await tx.query<{ n: number }>(
        `select count(*)::int as n from app_user
          where role = 'admin' and active and id <> $1`,
        [id],
      );
      if (Number(admins[0].n) === 0) {
        throw new LastAdminError();
      }
    }
    const rows = await tx.query<UserRow>(
      `update app_user set
         name = coalesce($2, name),
         role = coalesce($3, role),
         active = coalesce($4, active),
         password_hash = coalesce($5, password_hash),
         updated_at = now()
       where id = $1 returning ${COLUMNS}`,
      [
        id,
        changes.name ?? null,
        changes.role ?? null,
        changes.active ?? null,
        hash,
      ],
    );
    if (changes.active === false || hash) {
      await tx.query(`delete from session where user_id = $1`, [id]);
    }
    return view(rows[0]);
  });
}

/** Raised when a change would leave no active admin. */
export class LastAdminError extends Error {
  constructor() {
    super(
      "Cannot change user: this is the last active admin; make another admin first",
    );
    this.name = "LastAdminError";
  }
}
