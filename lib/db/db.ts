// The one database interface the platform talks to. Two backends implement
// it: embedded PGlite (the zero-setup default) and a PostgreSQL server.

/** Something SQL can be sent to: the database or an open transaction. */
export interface Queryable {
  /**
   * Runs one statement with `$1…` bound parameters and returns its rows.
   * Pass JSON as a string cast `$1::text::jsonb`: the backends serialize
   * jsonb-typed parameters differently, text ones the same.
   */
  query<T = Record<string, unknown>>(
    sql: string,
    params?: unknown[],
  ): Promise<T[]>;
  /** Runs one statement and returns how many rows it changed or returned. */
  execute(sql: string, params?: unknown[]): Promise<number>;
  /**
   * Runs `COPY … FROM STDIN` fed by `source` (COPY text or CSV format, as the
   * statement says). The source is consumed as a stream: memory stays
   * bounded whatever its size. Callers count the rows they send.
   */
  copyFrom(
    sql: string,
    source: AsyncIterable<string | Uint8Array>,
  ): Promise<void>;
}

/** The schema holding the platform's own tables. */
export const METADATA_SCHEMA = "etl";

/** Which backend a {@linkcode Db} runs on. */
export type DbBackend = "pglite" | "postgres";

/** The platform's database: metadata, job queue and the local warehouse. */
export interface Db extends Queryable {
  readonly backend: DbBackend;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Subscribes to NOTIFY on `channel`; resolves to an unsubscribe function. */
  listen(
    channel: string,
    onNotify: (payload: string) => void,
  ): Promise<() => Promise<void>>;
  /** Sends NOTIFY `channel` with `payload`. */
  notify(channel: string, payload: string): Promise<void>;
  close(): Promise<void>;
}

/** Quotes an SQL identifier (`my "table"` → `"my ""table"""`). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes a possibly schema-qualified name: `warehouse.sales` → `"warehouse"."sales"`. */
export function quoteQualified(name: string): string {
  return name.split(".").map(quoteIdent).join(".");
}
