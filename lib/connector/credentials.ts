// The `credential` table: one secret per connector field, sealed in an
// envelope (its own data key, wrapped by the master key named in key_id).

import { METADATA_SCHEMA, type Queryable } from "../db/db.ts";
import type { SealedSecret, SecretBox } from "../secrets/secret_box.ts";

const CREDENTIAL = `${METADATA_SCHEMA}.credential`;
const CONNECTOR = `${METADATA_SCHEMA}.connector`;

/** A stored credential row, sealed. */
export interface CredentialRow {
  id: number;
  connectorId: number;
  connectorName: string;
  field: string;
  sealed: SealedSecret;
}

/** Seals and stores each non-empty secret field of `config`. */
export async function storeSecrets(
  tx: Queryable,
  box: SecretBox,
  connectorId: number,
  config: Record<string, unknown>,
  secretFields: string[],
): Promise<void> {
  for (const field of secretFields) {
    const value = config[field];
    if (typeof value !== "string" || value === "") continue;
    const sealed = await box.encrypt(value);
    await tx.query(
      `insert into ${CREDENTIAL}
         (connector_id, field, key_id, wrapped_key, ciphertext)
       values ($1, $2, $3, $4, $5)
       on conflict (connector_id, field) do update
         set key_id = excluded.key_id, wrapped_key = excluded.wrapped_key,
             ciphertext = excluded.ciphertext, updated_at = now()`,
      [connectorId, field, sealed.keyId, sealed.wrappedKey, sealed.ciphertext],
    );
  }
}

/** The decrypted secret fields of a connector. */
export async function decryptSecrets(
  tx: Queryable,
  box: SecretBox,
  connectorId: number,
): Promise<Record<string, string>> {
  const secrets: Record<string, string> = {};
  for (const row of await listCredentials(tx, connectorId)) {
    secrets[row.field] = await box.decrypt(row.sealed, credentialName(row));
  }
  return secrets;
}

/** Sealed credential rows, of one connector or of all, in id order. */
export async function listCredentials(
  tx: Queryable,
  connectorId?: number,
): Promise<CredentialRow[]> {
  const rows = await tx.query<{
    id: number;
    connector_id: number;
    name: string;
    field: string;
    key_id: string;
    wrapped_key: string | null;
    ciphertext: string;
  }>(
    `select c.id, c.connector_id, k.name, c.field, c.key_id, c.wrapped_key,
            c.ciphertext
       from ${CREDENTIAL} c join ${CONNECTOR} k on k.id = c.connector_id
      ${connectorId === undefined ? "" : "where c.connector_id = $1"}
      order by c.id`,
    connectorId === undefined ? [] : [connectorId],
  );
  return rows.map((row) => ({
    id: Number(row.id),
    connectorId: Number(row.connector_id),
    connectorName: row.name,
    field: row.field,
    sealed: {
      keyId: row.key_id,
      wrappedKey: row.wrapped_key,
      ciphertext: row.ciphertext,
    },
  }));
}

/** Replaces the sealed value of credential row `id` (key rotation). */
export async function updateCredential(
  tx: Queryable,
  id: number,
  sealed: SealedSecret,
): Promise<void> {
  await tx.query(
    `update ${CREDENTIAL}
        set key_id = $2, wrapped_key = $3, ciphertext = $4, updated_at = now()
      where id = $1`,
    [id, sealed.keyId, sealed.wrappedKey, sealed.ciphertext],
  );
}

/** `credential of connector "shop"`: how errors name a credential. */
export function credentialName(row: Pick<CredentialRow, "connectorName">) {
  return `credential of connector ${JSON.stringify(row.connectorName)}`;
}

/** Names of the secret fields a connector has stored. */
export async function secretFieldsSet(
  tx: Queryable,
  connectorId: number,
): Promise<string[]> {
  const rows = await tx.query<{ field: string }>(
    `select field from ${CREDENTIAL} where connector_id = $1 order by field`,
    [connectorId],
  );
  return rows.map((row) => row.field);
}
