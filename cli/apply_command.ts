// `deno task etl apply <dir|file…>`: pipelines kept in git. Sends every
// YAML/JSON file to the server, which creates or versions the pipeline it
// names; `--dry-run` prints the same plan without saving anything.

import { parseArgs } from "node:util";
import { extname, join, resolve } from "node:path";
import { parseDocument } from "yaml";
import { CliError, type Command, EXIT } from "./command.ts";
import {
  connectServer,
  DEFAULT_SERVER,
  problemDetail,
  type ServerAnswer,
  type ServerClient,
} from "./server_client.ts";

const HELP = `Usage: deno task etl apply <dir|file>... [options]

Creates or updates the pipelines described by YAML/JSON files: every
*.yaml, *.yml and *.json file of each folder (and each file named), one
pipeline per file. A file whose pipeline is unchanged is left alone; a
changed one becomes a new version.

Options:
  --dry-run         print the plan (create / update / unchanged) and every
                    error, change nothing
  --server URL      the platform (default: ETL_SERVER, else ${DEFAULT_SERVER})
  --message TEXT    the version message (default: "apply <file>")
  --recursive       also read the folders inside each folder
  -h, --help        show this help

Needs ETL_TOKEN=<API token> of a user who may create and edit pipelines.
Plan lines:  + create NAME   ~ update NAME (version N → N+1)   = unchanged NAME
Errors:      FILE:LINE:COLUMN: FIELD: MESSAGE (every error of every file)
Exit code:   0 all applied, 1 some file failed (the others are applied),
             2 wrong usage`;

const EXTENSIONS = new Set([".yaml", ".yml", ".json"]);

/** What the server did (or would do) with one file. */
export type ApplyAction = "create" | "update" | "unchanged";

/** The `apply` command. */
export const applyCommand: Command = {
  summary: "create or update pipelines from a folder of YAML/JSON files",
  async run(args, env) {
    const options = parseOptions(args);
    if (options.help) {
      console.log(HELP);
      return EXIT.ok;
    }
    if (options.paths.length === 0) {
      throw new CliError(
        "Name a folder or file to apply, e.g. `deno task etl apply ./pipelines/`",
        EXIT.usage,
      );
    }
    const client = connectServer(env, {
      server: options.server,
      command: "apply",
    });
    const files = await collectFiles(options.paths, options.recursive);
    checkDistinctNames(files);
    const current = options.dryRun ? await currentVersions(client) : new Map();

    const done: { file: PipelineFile; action: ApplyAction }[] = [];
    const failed: PipelineFile[] = [];
    for (const file of files) {
      const query = new URLSearchParams({
        message: options.message ?? `apply ${file.path}`,
      });
      if (options.dryRun) query.set("dry_run", "1");
      const answer = await client.request(`api/v1/pipelines?${query}`, {
        method: "POST",
        headers: { "content-type": file.contentType },
        body: file.text,
      });
      const outcome = readOutcome(answer);
      if (!outcome) {
        failed.push(file);
        for (const line of errorLines(file.path, answer)) console.error(line);
        continue;
      }
      done.push({ file, action: outcome.action });
      console.log(planLine(outcome, current.get(outcome.name)));
    }
    console.log(summary(done.map((d) => d.action), failed, options.dryRun));
    return failed.length > 0 ? EXIT.failed : EXIT.ok;
  },
};

interface Options {
  paths: string[];
  dryRun: boolean;
  server?: string;
  message?: string;
  recursive: boolean;
  help: boolean;
}

function parseOptions(args: string[]): Options {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: {
        "dry-run": { type: "boolean", default: false },
        server: { type: "string" },
        message: { type: "string" },
        recursive: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: true,
    });
    return {
      paths: positionals,
      dryRun: values["dry-run"]!,
      server: values.server,
      message: values.message,
      recursive: values.recursive!,
      help: values.help!,
    };
  } catch (error) {
    throw new CliError(
      `${(error as Error).message}; see \`deno task etl apply --help\``,
      EXIT.usage,
    );
  }
}

/** One file to apply. */
interface PipelineFile {
  /** As the user named it (folder + file name), for messages. */
  path: string;
  text: string;
  contentType: string;
  /** The `name` it declares, when it parses far enough to tell. */
  name?: string;
}

async function collectFiles(
  paths: string[],
  recursive: boolean,
): Promise<PipelineFile[]> {
  const found: string[] = [];
  for (const path of paths) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(path);
    } catch (error) {
      throw new CliError(
        `Cannot read ${JSON.stringify(path)}: ${
          error instanceof Deno.errors.NotFound
            ? "no such file or folder"
            : (error as Error).message
        }`,
        EXIT.usage,
      );
    }
    if (info.isDirectory) {
      const inFolder = await listFolder(path, recursive);
      if (inFolder.length === 0) {
        throw new CliError(
          `Cannot apply ${
            JSON.stringify(path)
          }: it holds no *.yaml, *.yml or *.json file${
            recursive ? "" : " (add --recursive to read its folders)"
          }`,
          EXIT.usage,
        );
      }
      found.push(...inFolder);
    } else if (EXTENSIONS.has(extname(path).toLowerCase())) {
      found.push(path);
    } else {
      throw new CliError(
        `Cannot apply ${
          JSON.stringify(path)
        }: expected a folder or a .yaml, .yml or .json file`,
        EXIT.usage,
      );
    }
  }
  // The same file named twice (a folder and a file in it) is applied once.
  const seen = new Set<string>();
  const files: PipelineFile[] = [];
  for (const path of found) {
    const key = resolve(path);
    if (seen.has(key)) continue;
    seen.add(key);
    const text = await Deno.readTextFile(path);
    const json = extname(path).toLowerCase() === ".json";
    files.push({
      path,
      text,
      contentType: json ? "application/json" : "application/yaml",
      name: declaredName(text),
    });
  }
  return files;
}

async function listFolder(dir: string, recursive: boolean): Promise<string[]> {
  const files: string[] = [];
  const folders: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) {
      if (recursive && !entry.name.startsWith(".")) folders.push(path);
    } else if (EXTENSIONS.has(extname(entry.name).toLowerCase())) {
      files.push(path);
    }
  }
  files.sort();
  folders.sort();
  for (const folder of folders) files.push(...await listFolder(folder, true));
  return files;
}

// Only to catch two files naming one pipeline before anything is sent; the
// server does the real parsing and reports every error.
function declaredName(text: string): string | undefined {
  try {
    const doc = parseDocument(text, { uniqueKeys: false });
    const name = doc.get("name");
    return typeof name === "string" ? name : undefined;
  } catch {
    return undefined;
  }
}

function checkDistinctNames(files: PipelineFile[]) {
  const byName = new Map<string, string[]>();
  for (const file of files) {
    if (file.name === undefined) continue;
    byName.set(file.name, [...byName.get(file.name) ?? [], file.path]);
  }
  const clashes = [...byName].filter(([, paths]) => paths.length > 1);
  if (clashes.length === 0) return;
  const described = clashes.map(([name, paths]) =>
    `${paths.slice(0, -1).join(", ")} and ${paths.at(-1)} ${
      paths.length === 2 ? "both" : "all"
    } define pipeline ${JSON.stringify(name)}`
  );
  throw new CliError(
    `Cannot apply: ${
      described.join("; ")
    }. Nothing was sent; keep one file per pipeline`,
  );
}

// For the dry-run plan "version N → N+1": the versions the server holds now.
async function currentVersions(
  client: ServerClient,
): Promise<Map<string, number>> {
  const versions = new Map<string, number>();
  const answer = await client.request("api/v1/pipelines");
  if (answer.status !== 200 || !Array.isArray(answer.body)) return versions;
  for (const item of answer.body as Record<string, unknown>[]) {
    const version = item?.current_version ?? item?.version;
    if (typeof item?.name === "string" && typeof version === "number") {
      versions.set(item.name, version);
    }
  }
  return versions;
}

interface Outcome {
  name: string;
  action: ApplyAction;
  version?: number;
}

function readOutcome(answer: ServerAnswer): Outcome | null {
  if (answer.status !== 200 && answer.status !== 201) return null;
  const body = answer.body as Record<string, unknown> | undefined;
  if (!body || typeof body.name !== "string") return null;
  const version = typeof body.version === "number" ? body.version : undefined;
  let action = body.action;
  if (action !== "create" && action !== "update" && action !== "unchanged") {
    // A server older than `action`: a first version is a creation.
    action = version === 1 ? "create" : "update";
  }
  return { name: body.name, action: action as ApplyAction, version };
}

function planLine(outcome: Outcome, currentVersion?: number): string {
  switch (outcome.action) {
    case "create":
      return `+ create ${outcome.name}`;
    case "unchanged":
      return `= unchanged ${outcome.name}`;
    case "update": {
      // Applied: the answer has the new version. Dry run: the server's
      // current one, and the next is one more.
      const from = currentVersion ??
        (outcome.version !== undefined ? outcome.version - 1 : undefined);
      const to = currentVersion !== undefined
        ? currentVersion + 1
        : outcome.version;
      return from !== undefined && to !== undefined
        ? `~ update ${outcome.name} (version ${from} → ${to})`
        : `~ update ${outcome.name}`;
    }
  }
}

/** The error lines of a rejected file, compiler-style: `file:line:col: field: message`. */
export function errorLines(path: string, answer: ServerAnswer): string[] {
  const body = answer.body as Record<string, unknown> | undefined;
  const errors = Array.isArray(body?.errors)
    ? (body.errors as Record<string, unknown>[])
    : [];
  const lines = errors.filter((e) => e && typeof e === "object").map(
    (error) => {
      const at = typeof error.line === "number"
        ? `:${error.line}${
          typeof error.column === "number" ? `:${error.column}` : ""
        }`
        : "";
      const field = typeof error.field === "string" && error.field !== ""
        ? `${error.field}: `
        : "";
      return `${path}${at}: ${field}${String(error.message ?? "")}`;
    },
  );
  if (lines.length > 0) return lines;
  if (answer.status === 200 || answer.status === 201) {
    return [
      `${path}: unexpected answer from the server: ${
        answer.text.slice(0, 200)
      }`,
    ];
  }
  return [`${path}: ${answer.status} ${problemDetail(answer)}`];
}

function summary(
  actions: ApplyAction[],
  failed: PipelineFile[],
  dryRun: boolean,
): string {
  const count = (action: ApplyAction) =>
    actions.filter((a) => a === action).length;
  const parts = dryRun
    ? [
      `${count("create")} to create`,
      `${count("update")} to update`,
      `${count("unchanged")} unchanged`,
    ]
    : [
      `${count("create")} created`,
      `${count("update")} updated`,
      `${count("unchanged")} unchanged`,
    ];
  const tail = dryRun ? " (dry run: nothing was changed)" : "";
  const files = (n: number) => `${n} file${n === 1 ? "" : "s"}`;
  if (failed.length === 0) {
    return `${dryRun ? "Plan for" : "Applied"} ${files(actions.length)}: ${
      parts.join(", ")
    }${tail}`;
  }
  const names = failed.map((f) => f.path).join(", ");
  const others = actions.length === 0
    ? dryRun ? "no other file to plan" : "no other file was applied"
    : dryRun
    ? `the plan for the other ${files(actions.length)}: ${parts.join(", ")}`
    : `the other ${files(actions.length)} ${
      actions.length === 1 ? "was" : "were"
    } applied: ${parts.join(", ")}`;
  return `Failed: ${files(failed.length)} of ${
    actions.length + failed.length
  } (${names}); ${others}${tail}`;
}
