// The `credential` table: one AES-GCM sealed secret per connector field.

import { METADATA_SCHEMA, type Queryable } from "../db/db.ts";
import type { SecretBox } from "../secrets/secret_box.ts";

const CREDENTIAL = `${METADATA_SCHEMA}.credential`;

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
      `insert into ${CREDENTIAL} (connector_id, field, key_id, ciphertext)
       values ($1, $2, $3, $4)
       on conflict (connector_id, field) do update
         set key_id = excluded.key_id, ciphertext = excluded.ciphertext,
             updated_at = now()`,
      [connectorId, field, sealed.keyId, sealed.ciphertext],
    );
  }
}

/** The decrypted secret fields of a connector. */
export async function decryptSecrets(
  tx: Queryable,
  box: SecretBox,
  connectorId: number,
): Promise<Record<string, string>> {
  const rows = await tx.query<
    { field: string; key_id: string; ciphertext: string }
  >(
    `select field, key_id, ciphertext from ${CREDENTIAL} where connector_id = $1`,
    [connectorId],
  );
  const secrets: Record<string, string> = {};
  for (const row of rows) {
    secrets[row.field] = await box.decrypt({
      keyId: row.key_id,
      ciphertext: row.ciphertext,
    });
  }
  return secrets;
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
