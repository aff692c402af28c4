// Keeps a process alive through a known postgres.js bug (3.4.9; upstream
// porsager/postgres#1154, #1208, fixes proposed in #1168/#1176/#1209): when
// the server drops a connection (restart, pg_terminate_backend) while a small
// write is buffered, postgres.js writes to the closed socket from a
// setImmediate callback and throws a TypeError no caller can catch, which
// ends the process. By then the connection's queries were already rejected
// (CONNECTION_CLOSED), so the write is moot: that one error is logged and
// dropped; every other uncaught error still ends the process.
// The same release starts a new connection's array-type lookup
// (`fetchArrayTypes()` in connection.js) from an event handler without
// awaiting it: when the server drops the connection during that lookup, its
// rejection is unhandled and would end the process too, though the pool just
// connects again. Such rejections — a dropped connection's error raised in
// postgres.js' own code, which no caller awaited — are logged and dropped.

import { log } from "../log/logger.ts";

let installed = false;

/** True for postgres.js' write to a closed socket (see the file comment). */
export function isClosedSocketWrite(error: unknown): boolean {
  if (!(error instanceof TypeError)) return false;
  return /reading 'write'/.test(error.message) &&
    /postgres\/src\/connection\.js/.test(error.stack ?? "") &&
    /nextWrite/.test(error.stack ?? "");
}

// SQLSTATEs of a server ending the connection (admin, crash, shutdown) and
// postgres.js' codes for a connection that went away.
const DROPPED_CONNECTION_CODES = new Set([
  "57P01",
  "57P02",
  "57P03",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
]);

/** True for an error of a dropped connection raised inside postgres.js. */
export function isDroppedConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && DROPPED_CONNECTION_CODES.has(code) &&
    /postgres\/src\/connection\.js/.test(error.stack ?? "");
}

/** Installs the guard once per process. */
export function guardClosedSocketWrites(): void {
  if (installed) return;
  installed = true;
  globalThis.addEventListener("error", (event) => {
    if (!isClosedSocketWrite(event.error)) return;
    event.preventDefault();
    log.warn("dropped a write to a closed database connection", {
      error: event.error.message,
    });
  });
  globalThis.addEventListener("unhandledrejection", (event) => {
    if (!isDroppedConnectionError(event.reason)) return;
    event.preventDefault();
    log.warn("dropped an unawaited query of a closed database connection", {
      error: (event.reason as Error).message,
    });
  });
}
