// Typed connector errors: the engine and the UI say what went wrong without
// guessing from message text, and never show a stack trace or a secret.

/** Base class of every error a connector raises on purpose. */
export class ConnectorError extends Error {
  /** Stable machine-readable kind, also used by the API's problem documents. */
  readonly kind: string = "connector";
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The server cannot be reached (unknown host, refused, timeout, TLS). */
export class ConnectionError extends ConnectorError {
  override readonly kind = "connection";
}

/** The server refused the credentials or a permission. */
export class AuthError extends ConnectorError {
  override readonly kind = "auth";
}

/** A table, column or type is missing or does not match. */
export class SchemaError extends ConnectorError {
  override readonly kind = "schema";
}

/** Options for {@linkcode DataError}. */
export interface DataErrorOptions extends ErrorOptions {
  /** 1-based line of the source file, when the source is a file. */
  line?: number;
  /** 1-based record number, when known. */
  row?: number;
  /** The column involved, when known. */
  column?: string;
}

/** A record is malformed: a ragged CSV row, a bad quote, a value of the wrong type. */
export class DataError extends ConnectorError {
  override readonly kind = "data";
  readonly line?: number;
  readonly row?: number;
  readonly column?: string;
  constructor(message: string, options: DataErrorOptions = {}) {
    super(message, options);
    this.line = options.line;
    this.row = options.row;
    this.column = options.column;
  }
}
