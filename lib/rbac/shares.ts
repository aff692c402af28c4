// Sharing: an editor may edit the connectors and pipelines their owner
// shared with them (permissions.ts "own" grants).

import { z } from "zod";
import type { Db, Queryable } from "../db/db.ts";
import { ProblemError } from "../api/problem.ts";

/** Resources that can be shared. */
export type ShareableResource = "connector" | "pipeline";

/** Body of `PUT /api/v1/{connectors|pipelines}/{id}/shares`. */
export const sharesSchema = z.strictObject({
  userIds: z.array(z.number().int().positive()).max(1000).describe(
    "Everyone the resource is shared with (replaces the list)",
  ),
});

/** One user a resource is shared with. */
export interface Share {
  userId: number;
  email: string;
}

/** Who `type` `id` is shared with. */
export async function listShares(
  db: Queryable,
  type: ShareableResource,
  id: number,
): Promise<Share[]> {
  const rows = await db.query<{ user_id: number; email: string }>(
    `select s.user_id, u.email from resource_share s
       join app_user u on u.id = s.user_id
      where s.resource_type = $1 and s.resource_id = $2 order by u.email`,
    [type, id],
  );
  return rows.map((row) => ({ userId: Number(row.user_id), email: row.email }));
}

/** Replaces the share list; unknown user ids are a 422 naming the entry. */
export async function setShares(
  db: Db,
  type: ShareableResource,
  id: number,
  userIds: number[],
): Promise<Share[]> {
  const unique = [...new Set(userIds)];
  return await db.transaction(async (tx) => {
    const known = new Set(
      (await tx.query<{ id: number }>(
        `select id from app_user where id = any($1::bigint[])`,
        [unique],
      )).map((row) => Number(row.id)),
    );
    const errors = userIds.flatMap((userId, i) =>
      known.has(userId)
        ? []
        : [{ field: `userIds.${i}`, message: `no user with id ${userId}` }]
    );
    if (errors.length) {
      throw new ProblemError(
        422,
        `Cannot share ${type} ${id}: ${errors[0].field}: ${errors[0].message}`,
        errors,
      );
    }
    await tx.query(
      `delete from resource_share where resource_type = $1 and resource_id = $2`,
      [type, id],
    );
    for (const userId of unique) {
      await tx.query(
        `insert into resource_share (resource_type, resource_id, user_id)
         values ($1, $2, $3)`,
        [type, id, userId],
      );
    }
    return await listShares(tx, type, id);
  });
}
