// `deno task etl <command>`: the platform's command line. Each command lives
// in its own file; adding one is one line in COMMANDS.

import { CliError, type Command, type Env, EXIT } from "./command.ts";
import { rotateKeyCommand } from "./rotate_key_command.ts";
import { applyCommand } from "./apply_command.ts";
import { exportCommand } from "./export_command.ts";

/** The subcommands, by name. */
export const COMMANDS: Record<string, Command> = {
  "rotate-key": rotateKeyCommand,
  apply: applyCommand,
  export: exportCommand,
};

/** `--help` of the whole CLI. */
export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, command]) =>
    `  ${name.padEnd(width)}  ${command.summary}`
  );
  return [
    "Usage: deno task etl <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Run `deno task etl <command> --help` for a command's options.",
  ].join("\n");
}

/** Runs the CLI on `args`; resolves to the process exit code. */
export async function runCli(args: string[], env: Env): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined) {
    console.error(usage());
    return EXIT.usage;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    const topic = name === "help" ? rest[0] : undefined;
    if (topic !== undefined && Object.hasOwn(COMMANDS, topic)) {
      return await COMMANDS[topic].run(["--help"], env);
    }
    console.log(usage());
    return EXIT.ok;
  }
  if (!Object.hasOwn(COMMANDS, name)) {
    console.error(
      `error: Unknown command ${JSON.stringify(name)}, expected one of ${
        Object.keys(COMMANDS).join(", ")
      }\n\n${usage()}`,
    );
    return EXIT.usage;
  }
  try {
    return await COMMANDS[name].run(rest, env);
  } catch (error) {
    if (error instanceof CliError) {
      console.error(`error: ${error.message}`);
      return error.exitCode;
    }
    console.error(`error: ${(error as Error)?.message ?? String(error)}`);
    return EXIT.failed;
  }
}

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args, Deno.env.toObject()));
}
