// The one permission table. Routes (through route_policies.ts) and pages
// (to hide what a role can't do) both ask can(); nothing else decides.

import type { Principal, Role } from "../auth/principal.ts";

/** Everything a request may want to do. */
export type Permission =
  /** See connectors, pipelines, runs, logs (never secrets). */
  | "read"
  | "connector.create"
  /** Change or delete a connector. */
  | "connector.edit"
  /** Use a connector's credentials on demand: test, browse schema, preview. */
  | "connector.use"
  | "pipeline.create"
  /** Change, delete or share a pipeline. */
  | "pipeline.edit"
  /** Change who a connector is shared with. */
  | "connector.share"
  /** Change who a pipeline is shared with. */
  | "pipeline.share"
  /** Start a run of a pipeline. */
  | "pipeline.run"
  /** Cancel or re-run a run. */
  | "run.manage"
  /** Manage one's own API tokens and sessions. */
  | "self"
  /** Create users, change roles, deactivate. */
  | "user.manage"
  | "audit.read"
  /** Rotate the credential encryption key. */
  | "key.rotate";

/**
 * Who may: `true` on any resource, `"own"` on resources the user owns or
 * that are shared with them, `"owner"` only on resources the user owns,
 * `false` never.
 */
export type Grant = true | "own" | "owner" | false;

/** The table (DESIGN.md "Security"; issue 6 "Roles"). */
export const PERMISSIONS: Record<Permission, Record<Role, Grant>> = {
  "read": { admin: true, editor: true, operator: true, viewer: true },
  "connector.create": {
    admin: true,
    editor: true,
    operator: false,
    viewer: false,
  },
  "connector.edit": {
    admin: true,
    editor: "own",
    operator: false,
    viewer: false,
  },
  "connector.use": {
    admin: true,
    editor: "own",
    operator: true,
    viewer: false,
  },
  "pipeline.create": {
    admin: true,
    editor: true,
    operator: false,
    viewer: false,
  },
  "pipeline.edit": {
    admin: true,
    editor: "own",
    operator: false,
    viewer: false,
  },
  "connector.share": {
    admin: true,
    editor: "owner",
    operator: false,
    viewer: false,
  },
  "pipeline.share": {
    admin: true,
    editor: "owner",
    operator: false,
    viewer: false,
  },
  "pipeline.run": { admin: true, editor: "own", operator: true, viewer: false },
  "run.manage": { admin: true, editor: "own", operator: true, viewer: false },
  "self": { admin: true, editor: true, operator: true, viewer: true },
  "user.manage": { admin: true, editor: false, operator: false, viewer: false },
  "audit.read": { admin: true, editor: false, operator: false, viewer: false },
  "key.rotate": { admin: true, editor: false, operator: false, viewer: false },
};

/** Who owns a resource and who it is shared with. */
export interface Ownership {
  /** null: nobody (built-in connectors): only unconditional grants apply. */
  ownerId: number | null;
  sharedWith: number[];
  /** Built-in resources (the warehouse, files) are shared with everyone. */
  everyone?: boolean;
}

/**
 * Whether `user` may do `permission`, on `resource` when the permission is
 * about one. Without a resource, an "own" grant counts as allowed (the user
 * may do it to some resources): pages use that to show a button at all.
 */
export function can(
  user: Principal | null | undefined,
  permission: Permission,
  resource?: Ownership,
): boolean {
  if (!user) return false;
  const grant = PERMISSIONS[permission][user.role];
  if (grant === true) return true;
  if (grant === false) return false;
  if (!resource) return true;
  if (resource.ownerId === user.userId) return true;
  if (grant === "owner") return false;
  return resource.everyone === true ||
    resource.sharedWith.includes(user.userId);
}
