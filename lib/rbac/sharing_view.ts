// What a connector or pipeline page shows about ownership and sharing.

import type { State } from "../state.ts";
import { getUser } from "../auth/users.ts";
import { can } from "./permissions.ts";
import { listShares, type Share, type ShareableResource } from "./shares.ts";

/** Who owns a resource, who it is shared with, and who it could be. */
export interface Sharing {
  ownerEmail: string | null;
  /** Built-ins are everyone's. */
  everyone: boolean;
  shares: Share[];
  /** Everyone it could be shared with; null when this user may not share. */
  choices: { id: number; email: string }[] | null;
}

/** The sharing of `type` `id` as the request's user may see and change it. */
export async function sharingView(
  state: State,
  type: ShareableResource,
  id: number,
): Promise<Sharing> {
  const { db } = state.services;
  const ownership = state.ownership;
  const owner = ownership?.ownerId
    ? await getUser(db, ownership.ownerId)
    : null;
  const everyone = ownership?.everyone === true;
  const mayShare = ownership !== null && !everyone &&
    can(state.user, `${type}.share`, ownership);
  const choices = mayShare
    ? (await db.query<{ id: number; email: string }>(
      `select id, email from app_user where active order by email`,
    )).map((u) => ({ id: Number(u.id), email: u.email }))
      .filter((u) => u.id !== ownership?.ownerId)
    : null;
  return {
    ownerEmail: owner?.email ?? null,
    everyone,
    shares: await listShares(db, type, id),
    choices,
  };
}

/** The user ids a share form posted (`user` fields); null when malformed. */
export function sharedUserIds(form: FormData): number[] | null {
  const ids = form.getAll("user").map(Number);
  return ids.every((id) => Number.isSafeInteger(id) && id > 0) ? ids : null;
}
