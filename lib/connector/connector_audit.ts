// What the audit log says about connectors: which secret fields a change
// set (names only, never values), and each on-demand use of credentials.

import { connectorKinds } from "../../connectors/registry.ts";
import type { Queryable } from "../db/db.ts";
import { recordAudit } from "../audit/audit_log.ts";
import type { AuthState } from "../auth/authenticate.ts";
import { requestActor } from "../auth/request_actor.ts";

/** Names of the secret fields given a new non-empty value in `config`. */
export function changedSecrets(config: Record<string, unknown>): string[] {
  const secretFields = new Set(
    Object.values(connectorKinds).flatMap((kind) => kind.secretFields),
  );
  return Object.keys(config).filter((field) =>
    secretFields.has(field) && typeof config[field] === "string" &&
    config[field] !== ""
  ).sort();
}

/** Records that a user made the platform use a connector's credentials. */
export async function auditConnectorUse(
  db: Queryable,
  state: AuthState,
  connectorId: number,
  use: "test" | "schema" | "preview",
): Promise<void> {
  const [row] = await db.query<{ name: string }>(
    "select name from connector where id = $1",
    [connectorId],
  );
  await recordAudit(db, {
    actor: requestActor(state),
    action: "secret.use",
    target: { type: "connector", id: connectorId, name: row?.name ?? null },
    ip: state.ip,
    detail: { use },
  });
}
