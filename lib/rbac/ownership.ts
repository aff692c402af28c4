// Finds who owns the resource a request names, for "own" grants. A run
// belongs to its pipeline's owner.

import type { Queryable } from "../db/db.ts";
import type { Ownership } from "./permissions.ts";

/** Resource kinds that have an owner. */
export type OwnedResource = "connector" | "pipeline" | "run";

/** The ownership of resource `id`, or null when it doesn't exist. */
export async function loadOwnership(
  db: Queryable,
  type: OwnedResource,
  id: number,
): Promise<Ownership | null> {
  const sql = {
    connector: `select c.owner_id, c.builtin as everyone, array(
        select user_id from resource_share
         where resource_type = 'connector' and resource_id = c.id
      ) as shared from connector c where c.id = $1`,
    pipeline: `select p.owner_id, array(
        select user_id from resource_share
         where resource_type = 'pipeline' and resource_id = p.id
      ) as shared from pipeline p where p.id = $1`,
    run: `select p.owner_id, array(
        select user_id from resource_share
         where resource_type = 'pipeline' and resource_id = p.id
      ) as shared from pipeline_run r join pipeline p on p.id = r.pipeline_id
      where r.id = $1`,
  }[type];
  const rows = await db.query<
    { owner_id: number | null; shared: number[]; everyone?: boolean }
  >(
    sql,
    [id],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    ownerId: row.owner_id === null ? null : Number(row.owner_id),
    sharedWith: (row.shared ?? []).map(Number),
    everyone: row.everyone === true,
  };
}
