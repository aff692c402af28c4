// The audit log: who did what, to which resource, when and from where.
// Rows are only ever inserted; admins read them through listAuditEvents().

import type { Queryable } from "../db/db.ts";

/** Who an audit event is attributed to: a user, or the platform itself. */
export interface AuditActor {
  /** The user's id; null for the platform (runs, start-up, CLI). */
  id: number | null;
  /** An email, or e.g. "run 42", "cli", "system". */
  label: string;
}

/** One thing worth remembering. */
export interface AuditEntry {
  actor: AuditActor;
  /** Dotted verb, e.g. "auth.sign_in", "connector.update", "secret.use". */
  action: string;
  target?: { type: string; id?: string | number | null; name?: string | null };
  /** The client address; empty when not from a request. */
  ip?: string;
  /** Extra facts; never secrets. */
  detail?: Record<string, unknown>;
}

/** A stored audit event. */
export interface AuditEvent {
  id: number;
  at: Date;
  actorId: number | null;
  actor: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  targetName: string | null;
  ip: string;
  detail: Record<string, unknown>;
}

/** Appends one event (inside the caller's transaction when given one). */
export async function recordAudit(
  db: Queryable,
  entry: AuditEntry,
): Promise<void> {
  await db.query(
    `insert into audit_event
       (actor_id, actor, action, target_type, target_id, target_name, ip, detail)
     values ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb)`,
    [
      entry.actor.id,
      entry.actor.label,
      entry.action,
      entry.target?.type ?? null,
      entry.target?.id == null ? null : String(entry.target.id),
      entry.target?.name ?? null,
      entry.ip ?? "",
      JSON.stringify(entry.detail ?? {}),
    ],
  );
}

/** Filters of {@linkcode listAuditEvents}; all optional, combined with AND. */
export interface AuditFilter {
  /** Substring of the actor's label (case-insensitive). */
  actor?: string;
  /** Exact action, or a prefix ending in "." (e.g. "auth."). */
  action?: string;
  targetType?: string;
  targetId?: string;
  since?: Date;
  until?: Date;
  /** Only events with an id below this (paging backwards). */
  before?: number;
  /** At most this many, newest first (default 100, max 1000). */
  limit?: number;
}

/** Audit events matching `filter`, newest first. */
export async function listAuditEvents(
  db: Queryable,
  filter: AuditFilter = {},
): Promise<AuditEvent[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace("?", `$${params.length}`));
  };
  if (filter.actor) add("actor ilike ?", `%${escapeLike(filter.actor)}%`);
  if (filter.action?.endsWith(".")) {
    add("action like ?", `${escapeLike(filter.action)}%`);
  } else if (filter.action) add("action = ?", filter.action);
  if (filter.targetType) add("target_type = ?", filter.targetType);
  if (filter.targetId) add("target_id = ?", filter.targetId);
  if (filter.since) add("at >= ?", filter.since);
  if (filter.until) add("at < ?", filter.until);
  if (filter.before) add("id < ?", filter.before);
  const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
  const rows = await db.query<{
    id: number;
    at: Date;
    actor_id: number | null;
    actor: string;
    action: string;
    target_type: string | null;
    target_id: string | null;
    target_name: string | null;
    ip: string;
    detail: Record<string, unknown>;
  }>(
    `select id, at, actor_id, actor, action, target_type, target_id,
            target_name, ip, detail
       from audit_event ${where.length ? "where " + where.join(" and ") : ""}
      order by id desc limit ${limit}`,
    params,
  );
  return rows.map((row) => ({
    id: Number(row.id),
    at: new Date(row.at),
    actorId: row.actor_id === null ? null : Number(row.actor_id),
    actor: row.actor,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    targetName: row.target_name,
    ip: row.ip,
    detail: row.detail,
  }));
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => "\\" + c);
}
