// Turns errors from PostgreSQL (postgres.js or PGlite, which both carry the
// SQLSTATE `code` and the `where` context) into the platform's typed errors.

import {
  AuthError,
  ConnectionError,
  ConnectorError,
  DataError,
  SchemaError,
} from "../errors.ts";
import { redactSecrets } from "../../lib/secrets/redact.ts";

interface PgErrorLike {
  message?: string;
  code?: string;
  errno?: string;
  where?: string;
  column?: string;
  column_name?: string;
}

// Node socket errors and postgres.js' own codes for an unreachable server.
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
]);

/** Options for {@linkcode toConnectorError}. */
export interface ToConnectorErrorOptions {
  /** Removed from the message wherever they appear (passwords). */
  secrets?: Iterable<string>;
  /** Rows sent by earlier COPY statements, added to COPY's line number. */
  rowOffset?: number;
}

/**
 * Maps `error` to a typed connector error whose message starts with
 * `context` (`Cannot load into "sales"`). Typed errors pass through.
 */
export function toConnectorError(
  error: unknown,
  context: string,
  options: ToConnectorErrorOptions = {},
): ConnectorError {
  if (error instanceof ConnectorError) return error;
  const pg = (error ?? {}) as PgErrorLike;
  const secrets = options.secrets ?? [];
  const detail = redactSecrets(
    pg.message || String(error) || "unknown error",
    secrets,
  );
  const code = pg.code ?? "";
  const cause = { cause: error };
  if (NETWORK_CODES.has(code) || NETWORK_CODES.has(pg.errno ?? "")) {
    return new ConnectionError(`${context}: ${detail}`, cause);
  }
  if (code.startsWith("22") || code.startsWith("23")) {
    const where = parseCopyWhere(pg.where);
    const row = where.line === undefined
      ? undefined
      : where.line + (options.rowOffset ?? 0);
    const column = where.column ?? pg.column ?? pg.column_name;
    const position = [
      row === undefined ? "" : `row ${row}`,
      column === undefined ? "" : `column ${JSON.stringify(column)}`,
    ].filter(Boolean).join(", ");
    return new DataError(
      `${context}: ${detail}${position ? ` (${position})` : ""}`,
      { ...cause, row, column },
    );
  }
  if (code.startsWith("28") || code === "42501") {
    return new AuthError(`${context}: ${detail}`, cause);
  }
  if (
    code.startsWith("42") || code === "3D000" || code === "3F000"
  ) {
    return new SchemaError(`${context}: ${detail}`, cause);
  }
  if (code.startsWith("08") || code.startsWith("57P")) {
    return new ConnectionError(`${context}: ${detail}`, cause);
  }
  return new ConnectorError(`${context}: ${detail}`, cause);
}

/** Reads `COPY t, line 42, column amount: "abc"` into line and column. */
export function parseCopyWhere(
  where: string | undefined,
): { line?: number; column?: string } {
  const match = where?.match(/\bline (\d+)(?:, column ([^:]+))?/);
  if (!match) return {};
  return { line: Number(match[1]), column: match[2] };
}
