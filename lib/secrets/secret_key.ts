// Finds the key that encrypts credentials: ETL_SECRET_KEY when set (servers,
// fleets), otherwise a key file generated once in the data directory.

import { decodeKey, toBase64 } from "./secret_box.ts";

/** Options for {@linkcode loadSecretKey}. */
export interface LoadSecretKeyOptions {
  /** The value of ETL_SECRET_KEY, if set. */
  secretKey?: string;
  /** Where `secret.key` is read or created when no key is given. */
  dataDir: string;
}

/** Returns the base64 credential key, validating or generating it. */
export async function loadSecretKey(
  options: LoadSecretKeyOptions,
): Promise<string> {
  if (options.secretKey !== undefined && options.secretKey !== "") {
    try {
      decodeKey(options.secretKey);
    } catch (error) {
      throw new Error(
        `Cannot use ETL_SECRET_KEY: ${
          (error as Error).message.replace("Cannot use secret key: ", "")
        }`,
      );
    }
    return options.secretKey.trim();
  }
  const path = `${options.dataDir}/secret.key`;
  try {
    const existing = (await Deno.readTextFile(path)).trim();
    try {
      decodeKey(existing);
    } catch (error) {
      throw new Error(
        `Cannot use key file "${path}": ${
          (error as Error).message.replace("Cannot use secret key: ", "")
        }`,
      );
    }
    return existing;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await Deno.mkdir(options.dataDir, { recursive: true });
  const key = toBase64(crypto.getRandomValues(new Uint8Array(32)));
  try {
    // createNew: two processes starting at once must not overwrite each
    // other's key, or credentials sealed by the loser become unreadable.
    await Deno.writeTextFile(path, key + "\n", {
      createNew: true,
      mode: 0o600,
    });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      return (await Deno.readTextFile(path)).trim();
    }
    throw error;
  }
  // mode is filtered by the umask; the key must be readable by its owner only.
  await Deno.chmod(path, 0o600);
  return key;
}
