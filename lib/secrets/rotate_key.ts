// Credential key rotation without downtime: every credential's data key is
// re-wrapped under a new master key (legacy rows are sealed anew in an
// envelope) in one transaction, and the running process's keyring switches
// to [new, ...old] in place. Key material is never logged or returned.

import { type Db, METADATA_SCHEMA, type Queryable } from "../db/db.ts";
import { type AuditActor, recordAudit } from "../audit/audit_log.ts";
import {
  credentialName,
  listCredentials,
  updateCredential,
} from "../connector/credentials.ts";
import { describeKeySource, generateKey, keyIdOf, Keyring } from "./keyring.ts";
import { SecretBox } from "./secret_box.ts";
import { parseKeyList, readKeyFile, writeKeyFile } from "./secret_key.ts";

/** Options of {@linkcode rotateKey} and {@linkcode rotateKeyFile}. */
export interface RotateKeyOptions {
  /** Who rotates, for the audit log; default the CLI. */
  actor?: AuditActor;
  /** The client address, when rotated through the API. */
  ip?: string;
}

/** What a rotation did. */
export interface RotateKeyResult {
  /** Id of the new active key (never the key itself). */
  keyId: string;
  /** How many credential rows were re-wrapped or converted. */
  rewrapped: number;
}

/** Thrown when credentials are sealed with a key the keyring does not hold. */
export class UnknownCredentialKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UnknownCredentialKeyError";
  }
}

const CREDENTIAL = `${METADATA_SCHEMA}.credential`;
const CLI_ACTOR: AuditActor = { id: null, label: "cli" };

/**
 * Re-wraps every credential under `newKey` (base64) in one transaction and
 * makes it the active key of `keyring` (the others stay, for reading).
 *
 * `newKey` becomes active before the transaction, so what this process seals
 * meanwhile is already under it; persist it where the process reads its keys
 * (ETL_SECRET_KEY, the key file) before calling. Refuses, changing nothing,
 * when a credential was sealed with a key neither on the keyring nor `newKey`.
 */
export async function rotateKey(
  db: Db,
  keyring: Keyring,
  newKey: string,
  options: RotateKeyOptions = {},
): Promise<RotateKeyResult> {
  const keyId = await keyIdOf(newKey);
  const previousKeyIds = keyring.keyIds.filter((id) => id !== keyId);
  await checkCredentialKeys(db, keyring, [keyId]);
  await keyring.activate(newKey);
  const box = new SecretBox(keyring);
  const rewrapped = await db.transaction(async (tx) => {
    // Writers of credentials wait until the rotation commits, so no row
    // sealed with an old key slips in behind it.
    await tx.query(`lock table ${CREDENTIAL} in exclusive mode`);
    const rows = await listCredentials(tx);
    refuseUnknownKeys(rows, keyring);
    let count = 0;
    for (const row of rows) {
      const { sealed } = row;
      if (sealed.wrappedKey !== null && sealed.keyId === keyId) continue;
      await updateCredential(
        tx,
        row.id,
        await box.rewrap(sealed, credentialName(row)),
      );
      count++;
    }
    await rewrapWarehouseLogins(tx, box, keyId);
    await recordAudit(tx, {
      actor: options.actor ?? CLI_ACTOR,
      action: "key.rotate",
      ip: options.ip,
      detail: { keyId, previousKeyIds, rewrapped: count },
    });
    return count;
  });
  return { keyId, rewrapped };
}

/**
 * Rotates to a newly generated key for a process whose keys live in the key
 * file at `path` (embedded mode): the file becomes `new, old…` first, so a
 * crash at any point leaves every credential readable, then, once all are
 * re-wrapped, only the new key.
 */
export async function rotateKeyFile(
  db: Db,
  keyring: Keyring,
  path: string,
  options: RotateKeyOptions = {},
): Promise<RotateKeyResult> {
  const current = await readKeyFile(path);
  if (!current) {
    throw new Error(
      `Cannot rotate the credential key: key file ${
        JSON.stringify(path)
      } does not exist`,
    );
  }
  await checkCredentialKeys(db, keyring);
  const newKey = generateKey();
  await writeKeyFile(path, [newKey, ...current]);
  const result = await rotateKey(db, keyring, newKey, options);
  await writeKeyFile(path, [newKey]);
  return result;
}

/** Options of {@linkcode rotateProcessKey}. */
export interface RotateProcessKeyOptions extends RotateKeyOptions {
  /** The process's ETL_SECRET_KEY, when its keys come from there. */
  secretKey?: string;
}

/**
 * Rotates the keys of a running process, wherever they live: with a key
 * file, to a newly generated key ({@linkcode rotateKeyFile}); with
 * ETL_SECRET_KEY, which only the operator can change, by re-wrapping every
 * credential under its first key (after a restart with `new,old`).
 */
export async function rotateProcessKey(
  db: Db,
  keyring: Keyring,
  options: RotateProcessKeyOptions = {},
): Promise<RotateKeyResult> {
  const { source } = keyring;
  if (source.type === "file") {
    return await rotateKeyFile(db, keyring, source.path, options);
  }
  if (source.type === "env" && options.secretKey) {
    const [first] = parseKeyList(options.secretKey, "ETL_SECRET_KEY");
    return await rotateKey(db, keyring, first, options);
  }
  throw new Error(
    "Cannot rotate the credential key: this process's keys come from neither ETL_SECRET_KEY nor a key file",
  );
}

/**
 * Throws {@linkcode UnknownCredentialKeyError} naming the connectors and key
 * ids when a credential was sealed with a key that is not on `keyring` (nor
 * in `extraKeyIds`).
 */
export async function checkCredentialKeys(
  db: Db,
  keyring: Keyring,
  extraKeyIds: string[] = [],
): Promise<void> {
  refuseUnknownKeys(await listCredentials(db), keyring, extraKeyIds);
}

function refuseUnknownKeys(
  rows: Awaited<ReturnType<typeof listCredentials>>,
  keyring: Keyring,
  extraKeyIds: string[] = [],
): void {
  const missing = new Map<string, Set<string>>();
  for (const row of rows) {
    const { keyId } = row.sealed;
    if (keyring.has(keyId) || extraKeyIds.includes(keyId)) continue;
    const names = missing.get(keyId) ?? new Set();
    names.add(JSON.stringify(row.connectorName));
    missing.set(keyId, names);
  }
  if (missing.size === 0) return;
  const where = describeKeySource(keyring.source);
  const parts = [...missing].map(([keyId, names]) =>
    `credentials of connector${names.size > 1 ? "s" : ""} ${
      [...names].join(", ")
    } were sealed with key ${keyId}`
  );
  throw new UnknownCredentialKeyError(
    `Cannot rotate the credential key: ${parts.join("; ")}, which ${
      missing.size > 1 ? "are" : "is"
    } not in ${where}. Add ${
      missing.size > 1 ? "those keys" : "that key"
    } after the new one (e.g. ETL_SECRET_KEY=<new>,<old>) and run again`,
  );
}

// The warehouse role's password (lib/warehouse) moves to the new key too; one
// sealed by an unknown key is left for the next start-up to replace.
async function rewrapWarehouseLogins(
  tx: Queryable,
  box: SecretBox,
  keyId: string,
): Promise<void> {
  const rows = await tx.query<
    {
      role_name: string;
      key_id: string;
      wrapped_key: string | null;
      ciphertext: string;
    }
  >("select role_name, key_id, wrapped_key, ciphertext from warehouse_login");
  for (const row of rows) {
    if (row.wrapped_key !== null && row.key_id === keyId) continue;
    if (!box.keyring.keyIds.includes(row.key_id)) continue;
    const sealed = await box.rewrap({
      keyId: row.key_id,
      wrappedKey: row.wrapped_key,
      ciphertext: row.ciphertext,
    }, "password of the warehouse role");
    await tx.query(
      `update warehouse_login set key_id = $2, wrapped_key = $3,
         ciphertext = $4, updated_at = now() where role_name = $1`,
      [row.role_name, sealed.keyId, sealed.wrappedKey, sealed.ciphertext],
    );
  }
}
