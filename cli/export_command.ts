// `deno task etl export <dir>`: writes every pipeline of a server as one
// canonical file per pipeline, ready to commit and to `apply` again.

import { parseArgs } from "node:util";
import { join } from "node:path";
import { CliError, type Command, EXIT } from "./command.ts";
import {
  connectServer,
  DEFAULT_SERVER,
  problemDetail,
} from "./server_client.ts";

const HELP = `Usage: deno task etl export <dir> [options]

Writes each pipeline's current version to <dir>/<name>.yaml (or .json),
creating <dir>; \`deno task etl apply <dir>\` reads them back (unchanged
pipelines stay as they are).

Options:
  --format yaml|json   the file format (default: yaml)
  --server URL         the platform (default: ETL_SERVER, else ${DEFAULT_SERVER})
  -h, --help           show this help

Needs ETL_TOKEN=<API token>; exports the pipelines that token's user may read.`;

// Pipeline names are [a-z0-9_-]: safe as file names, checked anyway since
// they come from the server.
const SAFE_NAME = /^[a-z0-9_-]{1,63}$/;

/** The `export` command. */
export const exportCommand: Command = {
  summary: "write every pipeline as a YAML/JSON file into a folder",
  async run(args, env) {
    const options = parseOptions(args);
    if (options.help) {
      console.log(HELP);
      return EXIT.ok;
    }
    const client = connectServer(env, {
      server: options.server,
      command: "export",
    });
    const list = await client.request("api/v1/pipelines");
    if (list.status !== 200 || !Array.isArray(list.body)) {
      throw new CliError(
        `Cannot list the pipelines of ${client.name}: ${list.status} ${
          problemDetail(list)
        }`,
      );
    }
    const pipelines = (list.body as Record<string, unknown>[]).filter((p) =>
      typeof p?.id === "number" && typeof p?.name === "string"
    ) as { id: number; name: string }[];
    pipelines.sort((a, b) => a.name.localeCompare(b.name));

    await Deno.mkdir(options.dir, { recursive: true });
    let written = 0;
    const failed: string[] = [];
    for (const { id, name } of pipelines) {
      if (!SAFE_NAME.test(name)) {
        console.error(
          `Cannot export pipeline ${
            JSON.stringify(name)
          }: its name is not a safe file name`,
        );
        failed.push(name);
        continue;
      }
      const answer = await client.request(
        `api/v1/pipelines/${id}/export?format=${options.format}`,
      );
      if (answer.status !== 200) {
        console.error(
          `Cannot export pipeline ${JSON.stringify(name)}: ${answer.status} ${
            problemDetail(answer)
          }`,
        );
        failed.push(name);
        continue;
      }
      const path = join(options.dir, `${name}.${options.format}`);
      const text = answer.text.endsWith("\n")
        ? answer.text
        : `${answer.text}\n`;
      await Deno.writeTextFile(path, text);
      console.log(`wrote ${path}`);
      written++;
    }
    const count = (n: number) => `${n} pipeline${n === 1 ? "" : "s"}`;
    if (failed.length > 0) {
      console.log(
        `Exported ${count(written)} to ${options.dir}; ${
          count(failed.length)
        } failed (${failed.join(", ")})`,
      );
      return EXIT.failed;
    }
    console.log(`Exported ${count(written)} to ${options.dir}`);
    return EXIT.ok;
  },
};

interface Options {
  dir: string;
  format: "yaml" | "json";
  server?: string;
  help: boolean;
}

function parseOptions(args: string[]): Options {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        format: { type: "string", default: "yaml" },
        server: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new CliError(
      `${(error as Error).message}; see \`deno task etl export --help\``,
      EXIT.usage,
    );
  }
  const { values, positionals } = parsed;
  if (values.help) {
    return { dir: "", format: "yaml", help: true };
  }
  if (positionals.length !== 1) {
    throw new CliError(
      positionals.length === 0
        ? "Name the folder to export into, e.g. `deno task etl export ./pipelines/`"
        : `Expected one folder, got ${positionals.length}: ${
          positionals.join(" ")
        }`,
      EXIT.usage,
    );
  }
  const format = values.format;
  if (format !== "yaml" && format !== "json") {
    throw new CliError(
      `Unknown --format ${JSON.stringify(format)}, expected yaml or json`,
      EXIT.usage,
    );
  }
  return {
    dir: positionals[0],
    format,
    server: values.server,
    help: false,
  };
}
