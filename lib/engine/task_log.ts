// A TaskRun's own log lines: stored for the run page and the API, and echoed
// as structured JSON lines for log shippers.

import type { Queryable } from "../db/db.ts";
import { log, type LogLevel } from "../log/logger.ts";

/** Appends one line to a TaskRun's log. */
export async function appendTaskLog(
  db: Queryable,
  task: { id: number; runId: number },
  level: LogLevel,
  message: string,
): Promise<void> {
  log[level](message, { run_id: task.runId, task_run_id: task.id });
  await db.query(
    "insert into task_log (task_run_id, level, message) values ($1, $2, $3)",
    [task.id, level, message],
  );
}
