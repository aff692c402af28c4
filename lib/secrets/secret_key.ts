// Finds the master keys that protect credentials: ETL_SECRET_KEY when set
// (servers, fleets; `new,old` during a rotation), otherwise a key file
// generated once in the data directory (one key a line, the active first).

import {
  decodeKey,
  generateKey,
  Keyring,
  type KeySource,
  toBase64,
} from "./keyring.ts";

/** The key file's name inside the data directory. */
export const KEY_FILE = "secret.key";

/** Options for {@linkcode loadSecretKeys}. */
export interface LoadSecretKeysOptions {
  /** The value of ETL_SECRET_KEY, if set: one key or a comma-separated list. */
  secretKey?: string;
  /** Where `secret.key` is read or created when no key is given. */
  dataDir: string;
}

/** Base64 master keys, the active one first, and where they came from. */
export interface SecretKeys {
  keys: string[];
  source: KeySource;
}

/** Path of the key file in `dataDir`. */
export function keyFilePath(dataDir: string): string {
  return `${dataDir}/${KEY_FILE}`;
}

/** Returns the validated master keys, generating the key file when needed. */
export async function loadSecretKeys(
  options: LoadSecretKeysOptions,
): Promise<SecretKeys> {
  if (options.secretKey !== undefined && options.secretKey.trim() !== "") {
    return {
      keys: parseKeyList(options.secretKey, "ETL_SECRET_KEY"),
      source: { type: "env" },
    };
  }
  const path = keyFilePath(options.dataDir);
  const existing = await readKeyFile(path);
  if (existing) return { keys: existing, source: { type: "file", path } };
  await Deno.mkdir(options.dataDir, { recursive: true });
  const key = generateKey();
  try {
    // createNew: two processes starting at once must not overwrite each
    // other's key, or credentials sealed by the loser become unreadable.
    await Deno.writeTextFile(path, key + "\n", {
      createNew: true,
      mode: 0o600,
    });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      return {
        keys: (await readKeyFile(path))!,
        source: { type: "file", path },
      };
    }
    throw error;
  }
  // mode is filtered by the umask; the key must be readable by its owner only.
  await Deno.chmod(path, 0o600);
  return { keys: [key], source: { type: "file", path } };
}

/** The keyring of {@linkcode loadSecretKeys}' keys, naming their source in errors. */
export async function loadKeyring(
  options: LoadSecretKeysOptions,
): Promise<Keyring> {
  const { keys, source } = await loadSecretKeys(options);
  return await Keyring.fromKeys(keys, source);
}

/** The validated keys of a key file, or null when there is none. */
export async function readKeyFile(path: string): Promise<string[] | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  return parseKeyList(text, `key file ${JSON.stringify(path)}`);
}

/**
 * Replaces the key file with `keys` (active first), atomically: a 0600
 * temporary file, flushed to disk, renamed over the old one. A crash leaves
 * either the old file or the new one, never a partial key.
 */
export async function writeKeyFile(
  path: string,
  keys: string[],
): Promise<void> {
  for (const key of keys) decodeKey(key);
  const suffix = toBase64(crypto.getRandomValues(new Uint8Array(6)))
    .replace(/[+/=]/g, "_");
  const temp = `${path}.${suffix}.tmp`;
  const file = await Deno.open(temp, {
    write: true,
    createNew: true,
    mode: 0o600,
  });
  try {
    await Deno.chmod(temp, 0o600);
    const bytes = new TextEncoder().encode(keys.join("\n") + "\n");
    let written = 0;
    while (written < bytes.length) {
      written += await file.write(bytes.subarray(written));
    }
    await file.sync();
  } catch (error) {
    file.close();
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
  file.close();
  try {
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

/**
 * Splits a key list (commas or line breaks) and validates every key;
 * `origin` names it in errors, which never show key material.
 */
export function parseKeyList(text: string, origin: string): string[] {
  const keys = text.split(/[\s,]+/).filter((key) => key !== "");
  if (keys.length === 0) {
    throw new Error(
      `Cannot use ${origin}: it holds no key, make one with \`openssl rand -base64 32\``,
    );
  }
  keys.forEach((key, i) => {
    try {
      decodeKey(key);
    } catch (error) {
      const detail = (error as Error).message.replace(
        "Cannot use secret key: ",
        "",
      );
      throw new Error(
        `Cannot use ${origin}: ${
          keys.length > 1 ? `key ${i + 1} of ${keys.length}: ` : ""
        }${detail}`,
      );
    }
  });
  return keys;
}
