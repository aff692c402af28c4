// `deno task etl rotate-key`: re-wraps every credential under a new master
// key without downtime (README "Key rotation"): directly on a fleet's
// PostgreSQL, on an idle embedded data directory, or through the running
// server that holds it.

import { parseArgs } from "node:util";
import { CliError, type Command, type Env, EXIT } from "./command.ts";
import { openDb } from "../lib/db/open_db.ts";
import { DataDirLockedError } from "../lib/db/data_dir_lock.ts";
import { generateKey, keyIdOf, Keyring } from "../lib/secrets/keyring.ts";
import {
  keyFilePath,
  parseKeyList,
  readKeyFile,
} from "../lib/secrets/secret_key.ts";
import {
  rotateKey,
  rotateKeyFile,
  type RotateKeyResult,
  UnknownCredentialKeyError,
} from "../lib/secrets/rotate_key.ts";

const HELP = `Usage: deno task etl rotate-key [--generate] [--server URL]

Re-wraps every connector credential under a new master key, in one
transaction; the old key can be dropped afterwards.

Options:
  --generate      print a new random key (to install in ETL_SECRET_KEY) and exit
  --server URL    rotate through the running server that holds the data
                  directory (embedded mode); needs ETL_TOKEN=<admin API token>
  -h, --help      show this help

With DATABASE_URL (a fleet), the keys come from ETL_SECRET_KEY=<new>,<old>:
  1. deno task etl rotate-key --generate              prints <new>
  2. restart each process with ETL_SECRET_KEY=<new>,<old>
  3. ETL_SECRET_KEY=<new>,<old> deno task etl rotate-key
  4. later, set ETL_SECRET_KEY=<new> and restart

Embedded (no DATABASE_URL): generates the key into ETL_DATA_DIR/secret.key
itself. While a server holds the data directory:
  ETL_TOKEN=<admin API token> deno task etl rotate-key --server http://localhost:8000`;

/** The `rotate-key` command. */
export const rotateKeyCommand: Command = {
  summary: "re-encrypt connector credentials under a new key",
  async run(args, env) {
    const options = parseOptions(args);
    if (options.help) {
      console.log(HELP);
      return EXIT.ok;
    }
    if (options.generate) {
      if (options.server !== undefined) {
        throw new CliError("--generate and --server do not go together", 2);
      }
      const key = generateKey();
      console.log(key);
      console.error(
        `New key ${await keyIdOf(
          key,
        )} (printed above; store it like a password). Next: restart each process with ETL_SECRET_KEY=<new>,<old>, then run ETL_SECRET_KEY=<new>,<old> deno task etl rotate-key`,
      );
      return EXIT.ok;
    }
    const result = options.server !== undefined
      ? await throughServer(options.server, env)
      : env.DATABASE_URL
      ? await onFleet(env.DATABASE_URL, env)
      : await onDataDir(env);
    console.log(
      `Rotated the credential key: ${result.rewrapped} credential${
        result.rewrapped === 1 ? "" : "s"
      } re-wrapped under key ${result.keyId}`,
    );
    return EXIT.ok;
  },
};

interface Options {
  generate: boolean;
  server?: string;
  help: boolean;
}

function parseOptions(args: string[]): Options {
  try {
    const { values } = parseArgs({
      args,
      options: {
        generate: { type: "boolean", default: false },
        server: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    return values as Options;
  } catch (error) {
    throw new CliError(
      `${(error as Error).message}; see \`deno task etl rotate-key --help\``,
      EXIT.usage,
    );
  }
}

// A fleet: every process reads ETL_SECRET_KEY, which only the operator can
// change, so the new key is the first of that list.
async function onFleet(databaseUrl: string, env: Env) {
  if (!env.ETL_SECRET_KEY) {
    throw new CliError(
      "Cannot rotate: ETL_SECRET_KEY is not set. Run `deno task etl rotate-key --generate`, restart each process with ETL_SECRET_KEY=<new>,<old>, then run ETL_SECRET_KEY=<new>,<old> deno task etl rotate-key",
      EXIT.usage,
    );
  }
  const keys = parseKeys(env.ETL_SECRET_KEY);
  const keyring = await Keyring.fromKeys(keys, { type: "env" });
  const opened = await openDb({
    databaseUrl,
    dataDir: env.ETL_DATA_DIR || "./.data",
  });
  try {
    return await refusing(() => rotateKey(opened.db, keyring, keys[0]));
  } finally {
    await opened.close();
  }
}

// Embedded: this process may open the database only while no server holds
// the data directory; otherwise the server has to do it.
async function onDataDir(env: Env): Promise<RotateKeyResult> {
  const dataDir = env.ETL_DATA_DIR || "./.data";
  const path = keyFilePath(dataDir);
  const fileKeys = env.ETL_SECRET_KEY ? null : await readKeyFile(path);
  if (!env.ETL_SECRET_KEY && !fileKeys) {
    throw new CliError(
      `Cannot rotate: there is no key file ${
        JSON.stringify(path)
      }. Set ETL_DATA_DIR to the platform's data directory, or DATABASE_URL and ETL_SECRET_KEY for a fleet`,
    );
  }
  if (!(await exists(`${dataDir}/pgdata`))) {
    throw new CliError(
      `Cannot rotate: there is no embedded database in ${
        JSON.stringify(dataDir)
      }. Set ETL_DATA_DIR to the platform's data directory`,
    );
  }
  let opened;
  try {
    opened = await openDb({ dataDir });
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    throw new CliError(await lockedMessage(dataDir, env));
  }
  try {
    if (env.ETL_SECRET_KEY) {
      const keys = parseKeys(env.ETL_SECRET_KEY);
      const keyring = await Keyring.fromKeys(keys, { type: "env" });
      return await refusing(() => rotateKey(opened.db, keyring, keys[0]));
    }
    const keyring = await Keyring.fromKeys(fileKeys!, { type: "file", path });
    return await refusing(() => rotateKeyFile(opened.db, keyring, path));
  } finally {
    await opened.close();
  }
}

async function throughServer(server: string, env: Env) {
  let url: URL;
  try {
    url = new URL("/api/v1/admin/rotate-key", server);
  } catch {
    throw new CliError(
      `Cannot use --server ${
        JSON.stringify(server)
      }: not a URL, e.g. http://localhost:8000`,
      EXIT.usage,
    );
  }
  if (!env.ETL_TOKEN) {
    throw new CliError(
      "Cannot rotate through the server: set ETL_TOKEN to an admin's API token",
      EXIT.usage,
    );
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${env.ETL_TOKEN}` },
      signal: AbortSignal.timeout(120_000),
    });
  } catch (error) {
    throw new CliError(
      `Cannot reach ${url.origin}: ${(error as Error).message}`,
    );
  }
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: reported below by status.
  }
  if (!response.ok) {
    const detail = typeof body.detail === "string" ? body.detail : text;
    throw new CliError(
      `Cannot rotate through ${url.origin}: ${response.status} ${
        detail.slice(0, 500)
      }`,
    );
  }
  if (typeof body.keyId !== "string" || typeof body.rewrapped !== "number") {
    throw new CliError(
      `Cannot rotate through ${url.origin}: unexpected answer ${
        text.slice(0, 200)
      }`,
    );
  }
  return { keyId: body.keyId, rewrapped: body.rewrapped };
}

function parseKeys(list: string): string[] {
  try {
    return parseKeyList(list, "ETL_SECRET_KEY");
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.usage);
  }
}

async function refusing<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof UnknownCredentialKeyError) {
      throw new CliError(error.message);
    }
    throw error;
  }
}

async function lockedMessage(dataDir: string, env: Env): Promise<string> {
  const holder =
    (await Deno.readTextFile(`${dataDir}/etl.lock`).catch(() => "")).trim();
  const pid = /^\d+$/.test(holder) ? ` (pid ${holder})` : "";
  return `Cannot rotate: the data directory ${
    JSON.stringify(dataDir)
  } is in use by a running server${pid}. Rotate through that server: ETL_TOKEN=<an admin's API token> deno task etl rotate-key --server http://localhost:${
    env.PORT || "8000"
  }`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
