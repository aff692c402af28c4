// What a subcommand of `deno task etl` is, and the error that ends one with
// a message and an exit code instead of a stack trace.

/** The environment a command reads (Deno.env in the real CLI). */
export type Env = Record<string, string | undefined>;

/** One subcommand: `deno task etl <name> [args]`. */
export interface Command {
  /** One line for `deno task etl --help`. */
  summary: string;
  /** Runs with the arguments after the command's name; resolves to the exit code. */
  run(args: string[], env: Env): Promise<number>;
}

/** Exit codes: 0 done, 1 failed, 2 wrong usage. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Ends a command: `message` goes to stderr, `exitCode` to the shell. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.failed) {
    super(message);
    this.name = "CliError";
  }
}
