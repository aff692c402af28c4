// Middleware: may this user do what this route does? Reads the route's
// policy (route_policies.ts) and the permission table (permissions.ts);
// routes never decide access themselves.

import { HttpError } from "../web/mod.ts";
import type { Middleware } from "../web/mod.ts";
import type { Db } from "../db/db.ts";
import type { AuthState } from "../auth/authenticate.ts";
import { can, type Ownership, type Permission } from "./permissions.ts";
import { loadOwnership } from "./ownership.ts";
import { routePolicy } from "./route_policies.ts";

/** What authorize() adds to ctx.state. */
export interface AuthorizeState extends AuthState {
  /** Owner and shares of the resource the route names, when it names one. */
  ownership: Ownership | null;
}

/** Refuses requests the signed-in user (or anonymous) may not make. */
export function authorize<S extends AuthorizeState>(
  db: () => Db,
): Middleware<S> {
  return async function authorize(ctx) {
    ctx.state.ownership = null;
    const { route } = ctx;
    const isApi = ctx.url.pathname.startsWith("/api/");
    // No route: let the router answer 404/405, but not to strangers.
    if (route === null) {
      if (!ctx.state.user) return unauthenticated(ctx.url, isApi, ctx.req);
      return ctx.next();
    }
    const policy = routePolicy(ctx.req.method, route);
    if (policy && "public" in policy) return ctx.next();
    if (!ctx.state.user) return unauthenticated(ctx.url, isApi, ctx.req);
    if (!policy) {
      // Deny by default: a route nobody described is nobody's.
      throw new HttpError(
        403,
        `No access rule covers ${ctx.req.method} ${route}`,
      );
    }
    const permission = await permissionFor(ctx.req, policy);
    if (policy.resource) {
      const raw = ctx.params[policy.resource.param];
      const id = Number(raw);
      if (!/^\d{1,15}$/.test(raw ?? "") || !Number.isSafeInteger(id)) {
        throw new HttpError(404, `No ${policy.resource.type} ${raw}`);
      }
      const ownership = await loadOwnership(db(), policy.resource.type, id);
      if (!ownership) {
        throw new HttpError(404, `No ${policy.resource.type} with id ${id}`);
      }
      ctx.state.ownership = ownership;
      if (!can(ctx.state.user, permission, ownership)) {
        throw forbidden(ctx.state.user.role, permission);
      }
      return ctx.next();
    }
    if (!can(ctx.state.user, permission)) {
      throw forbidden(ctx.state.user.role, permission);
    }
    return ctx.next();
  };
}

/** The permission a request needs: per `_action` of a form post, if listed. */
async function permissionFor(
  req: Request,
  policy: { permission: Permission; actions?: Record<string, Permission> },
): Promise<Permission> {
  if (!policy.actions) return policy.permission;
  const type = req.headers.get("content-type") ?? "";
  if (
    !type.startsWith("application/x-www-form-urlencoded") &&
    !type.startsWith("multipart/form-data")
  ) return policy.permission;
  let action: FormDataEntryValue | null = null;
  try {
    // A clone: the route reads the body again.
    action = (await req.clone().formData()).get("_action");
  } catch { /* unreadable: the route will say so */ }
  return (typeof action === "string" && Object.hasOwn(policy.actions, action))
    ? policy.actions[action]
    : policy.permission;
}

function forbidden(role: string, permission: string): HttpError {
  return new HttpError(
    403,
    `Your role (${role}) does not allow ${permission} here`,
  );
}

function unauthenticated(url: URL, isApi: boolean, req: Request): Response {
  if (!isApi && (req.method === "GET" || req.method === "HEAD")) {
    const next = url.pathname + url.search;
    return new Response(null, {
      status: 303,
      headers: { location: `/login?next=${encodeURIComponent(next)}` },
    });
  }
  throw new HttpError(401, "Sign in or send an API token", {
    headers: { "www-authenticate": 'Bearer realm="etl"' },
  });
}
