// The connector contract (after Airbyte and Singer): four verbs, nothing else.
// check, discover, read (record batches) and write (with a write mode).

/** Column types the platform understands; targets map them to their own. */
export type ColumnType =
  | "text"
  | "bigint"
  | "double"
  | "numeric"
  | "boolean"
  | "date"
  | "timestamptz"
  | "json";

/** One column of a record batch. */
export interface Column {
  name: string;
  type: ColumnType;
}

/**
 * A batch of records. Rows are arrays in `columns` order: far cheaper to move
 * than objects. `null` is SQL NULL. Values are strings for text-based sources
 * (CSV) and typed JS values otherwise.
 */
export interface RecordBatch {
  columns: Column[];
  rows: unknown[][];
  /**
   * The same rows already encoded as PostgreSQL COPY text lines, when the
   * producer has them (staged datasets do): COPY targets send it as is.
   */
  copyText?: string;
  /** The same as `copyText`, as UTF-8 bytes, when the producer has them. */
  copyBytes?: Uint8Array;
}

/** Result of `check()`. */
export interface CheckResult {
  ok: true;
  /** e.g. "PostgreSQL 15.19". */
  version?: string;
}

/** One table (or object, endpoint) found by `discover()`. */
export interface DiscoveredTable {
  schema?: string;
  name: string;
  columns: Column[];
}

/**
 * An incremental read: only records whose `field` is greater than `after`
 * (all records when `after` is null). The engine remembers the largest value
 * it saw and passes it as `after` on the next successful run.
 */
export interface ReadCursor {
  field: string;
  after?: string | number | null;
}

/** What to read. Each connector documents which fields it honours. */
export interface ReadRequest {
  table?: string;
  query?: string;
  /**
   * Values bound to the placeholders of `query` (`$1…` on PostgreSQL, `?` on
   * MySQL), in order: sent beside the text, never pasted into it.
   */
  params?: unknown[];
  path?: string;
  batchSize?: number;
  cursor?: ReadCursor;
  signal?: AbortSignal;
}

/** How `write()` treats rows already in the target. */
export type WriteMode = "append" | "replace" | "merge";

/** What to write. */
export interface WriteRequest {
  table: string;
  mode: WriteMode;
  /** Key columns for `merge`. */
  keys?: string[];
  /** Create the table when it does not exist (default true). */
  create?: boolean;
  /**
   * Makes the load idempotent: a database target records this id in its
   * load marker table in the same transaction as the rows, and a second
   * write with the same id writes nothing (the engine passes one per TaskRun).
   */
  loadId?: string;
  signal?: AbortSignal;
}

/** Result of `write()`. */
export interface WriteResult {
  rowsWritten: number;
  /** True when `loadId` was already loaded: `rowsWritten` is what that load wrote. */
  alreadyLoaded?: boolean;
}

/** One SQL statement for a connector's database (an sql step). */
export interface StatementRequest {
  /** One statement with placeholders for `params` (`$1…` or `?`). */
  query: string;
  params?: unknown[];
  /** Rows per batch handed to `onRows`. */
  batchSize?: number;
  /** Aborting cancels the statement on the server; its transaction rolls back. */
  signal?: AbortSignal;
  /**
   * Gets the rows of a statement that returns rows (SELECT, RETURNING)
   * while its transaction is still open: the statement commits only when
   * this resolves, and rolls back when it throws.
   */
  onRows(batches: AsyncIterable<RecordBatch>): Promise<void>;
}

/** What a statement did. */
export interface StatementResult {
  /** Whether the statement returned rows (then given to `onRows`). */
  returnedRows: boolean;
  /** Rows returned, else rows inserted, updated or deleted. */
  rowCount: number;
}

/** A connector instance bound to one configuration. */
export interface Connector {
  /**
   * Set by connectors whose `read({ query })` runs SQL: the placeholder
   * style its query takes for `params` (see lib/pipeline/template.ts).
   */
  readonly sqlDialect?: "postgres" | "mysql";
  check(): Promise<CheckResult>;
  discover(): Promise<DiscoveredTable[]>;
  read(request: ReadRequest): AsyncIterable<RecordBatch>;
  write(
    batches: AsyncIterable<RecordBatch>,
    request: WriteRequest,
  ): Promise<WriteResult>;
  /**
   * Set by connectors with a SQL database: runs one statement in one
   * transaction (a failure leaves the database as it was).
   */
  execute?(request: StatementRequest): Promise<StatementResult>;
  close(): Promise<void>;
}
