// Keeps a process alive through a known postgres.js bug (3.4.9; upstream
// porsager/postgres#1154, #1208, fixes proposed in #1168/#1176/#1209): when
// the server drops a connection (restart, pg_terminate_backend) while a small
// write is buffered, postgres.js writes to the closed socket from a
// setImmediate callback and throws a TypeError no caller can catch, which
// ends the process. By then the connection's queries were already rejected
// (CONNECTION_CLOSED), so the write is moot: that one error is logged and
// dropped; every other uncaught error still ends the process.

import { log } from "../log/logger.ts";

let installed = false;

/** True for postgres.js' write to a closed socket (see the file comment). */
export function isClosedSocketWrite(error: unknown): boolean {
  if (!(error instanceof TypeError)) return false;
  return /reading 'write'/.test(error.message) &&
    /postgres\/src\/connection\.js/.test(error.stack ?? "") &&
    /nextWrite/.test(error.stack ?? "");
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
}
