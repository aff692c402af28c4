// Structured logs: one JSON object a line on stdout (level, time, msg and
// fields such as run_id and task_run_id), the shape ELK, Graylog and Loki ingest.

/** Log levels, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const LEVELS: Record<LogLevel, number> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
};

/** Fields attached to a log line. */
export type LogFields = Record<string, unknown>;

/** Where lines go; tests capture them. */
export type LogSink = (line: string) => void;

/** A logger bound to some fields. */
export class Logger {
  #fields: LogFields;
  #sink: LogSink;
  #min: number;

  constructor(
    options: { fields?: LogFields; sink?: LogSink; level?: LogLevel } = {},
  ) {
    this.#fields = options.fields ?? {};
    this.#sink = options.sink ?? ((line) => console.log(line));
    this.#min = LEVELS[options.level ?? "info"];
  }

  /** A logger adding `fields` to every line. */
  child(fields: LogFields): Logger {
    const child = new Logger({
      sink: this.#sink,
      fields: { ...this.#fields, ...fields },
    });
    child.#min = this.#min;
    return child;
  }

  debug(msg: string, fields?: LogFields): void {
    this.#write("debug", msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.#write("info", msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.#write("warn", msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.#write("error", msg, fields);
  }

  #write(level: LogLevel, msg: string, fields?: LogFields) {
    if (LEVELS[level] < this.#min) return;
    const line: LogFields = {
      level,
      time: new Date().toISOString(),
      msg,
      ...this.#fields,
      ...fields,
    };
    if (line.error instanceof Error) {
      line.error = line.error.message;
    }
    this.#sink(JSON.stringify(line));
  }
}

/** The process-wide logger; level from `ETL_LOG_LEVEL`. */
export const log: Logger = new Logger({
  level: (Deno.env.get("ETL_LOG_LEVEL") as LogLevel | undefined) ?? "info",
});
