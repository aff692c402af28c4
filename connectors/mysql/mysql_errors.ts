// Turns errors from mysql2 (socket codes, server error numbers and messages)
// into the platform's typed errors, with the row a rejected value was on.

import { redactSecrets } from "../../lib/secrets/redact.ts";
import {
  AuthError,
  ConnectionError,
  ConnectorError,
  DataError,
  SchemaError,
} from "../errors.ts";

interface MysqlErrorLike {
  message?: string;
  code?: string;
  errno?: number;
  sqlMessage?: string;
}

// Plain-words detail for socket failures; the driver's text is often empty.
const NETWORK: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ENOTFOUND: "unknown host",
  EAI_AGAIN: "unknown host (DNS lookup failed)",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  EPIPE: "connection closed",
  PROTOCOL_CONNECTION_LOST: "connection lost",
  HANDSHAKE_SSL_ERROR: "TLS handshake failed",
  HANDSHAKE_NO_SSL_SUPPORT: "the server does not support TLS",
};

// ER_ACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR, ER_TABLEACCESS_DENIED_ERROR,
// ER_COLUMNACCESS_DENIED_ERROR, ER_SPECIFIC_ACCESS_DENIED_ERROR,
// ER_PROCACCESS_DENIED_ERROR, ER_NOT_SUPPORTED_AUTH_MODE,
// ER_ACCESS_DENIED_NO_PASSWORD_ERROR, ER_MUST_CHANGE_PASSWORD_LOGIN.
const AUTH = new Set([1044, 1045, 1142, 1143, 1227, 1370, 1251, 1698, 1862]);

// Values the server rejects: wrong type, out of range, too long, NULL into
// NOT NULL, duplicate or dangling key, failed CHECK (MariaDB's json_valid).
const DATA = new Set([
  1048,
  1062,
  1263,
  1264,
  1265,
  1292,
  1364,
  1365,
  1366,
  1367,
  1406,
  1411,
  1451,
  1452,
  1690,
  3140,
  3819,
  4025,
]);

// Unknown table, column or database; syntax; table exists; bad key.
const SCHEMA = new Set([
  1049,
  1050,
  1051,
  1054,
  1060,
  1064,
  1071,
  1072,
  1091,
  1109,
  1146,
  1170,
]);

/** Options for {@linkcode toConnectorError}. */
export interface ToConnectorErrorOptions {
  /** Removed from the message wherever they appear (passwords). */
  secrets?: Iterable<string>;
  /** Rows sent before the failed statement, added to its "at row N". */
  rowOffset?: number;
  /** The connect timeout, named in the message when it fired. */
  timeoutSeconds?: number;
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
  const my = (error ?? {}) as MysqlErrorLike;
  const code = my.code ?? "";
  const errno = my.errno ?? 0;
  const raw = my.sqlMessage || my.message || String(error) || "unknown error";
  const detail = redactSecrets(raw, options.secrets ?? []);
  const cause = { cause: error };
  if (code === "ETIMEDOUT" || code === "PROTOCOL_SEQUENCE_TIMEOUT") {
    const after = options.timeoutSeconds === undefined
      ? ""
      : ` after ${options.timeoutSeconds} s`;
    return new ConnectionError(`${context}: timeout${after}`, cause);
  }
  if (code in NETWORK) {
    return new ConnectionError(`${context}: ${NETWORK[code]}`, cause);
  }
  if (errno === 1045 || errno === 1698) {
    return new AuthError(
      `${context}: access denied (wrong password or unknown user)`,
      cause,
    );
  }
  if (AUTH.has(errno)) return new AuthError(`${context}: ${detail}`, cause);
  if (DATA.has(errno)) {
    const found = parseRowAndColumn(raw);
    const row = found.row === undefined
      ? undefined
      : found.row + (options.rowOffset ?? 0);
    const column = found.column;
    const position = [
      row === undefined ? "" : `row ${row}`,
      column === undefined ? "" : `column ${JSON.stringify(column)}`,
    ].filter(Boolean).join(", ");
    return new DataError(
      `${context}: ${detail}${position ? ` (${position})` : ""}`,
      { ...cause, row, column },
    );
  }
  if (SCHEMA.has(errno)) return new SchemaError(`${context}: ${detail}`, cause);
  if (code.startsWith("E") && /^E[A-Z]+$/.test(code)) {
    return new ConnectionError(`${context}: ${detail}`, cause);
  }
  return new ConnectorError(`${context}: ${detail}`, cause);
}

/**
 * Reads the statement's row number and the column out of a server message:
 * MariaDB says "… for column `db`.`t`.`amount` at row 3", MySQL "… for
 * column 'amount' at row 3", both "Column 'name' cannot be null".
 */
export function parseRowAndColumn(
  message: string,
): { row?: number; column?: string } {
  const row = message.match(/\bat row (\d+)/)?.[1];
  const column = message.match(/for column (?:`[^`]*`\.)*`([^`]*)`/)?.[1] ??
    message.match(/(?:for column|^Column) '([^']*)'/)?.[1];
  return { row: row === undefined ? undefined : Number(row), column };
}
