// What every route requires, keyed "METHOD /pattern" as the router names it
// (HEAD is checked as GET). A route missing here is refused to everyone:
// deny by default, and the permission-matrix test lists it as uncovered.

import type { Permission } from "./permissions.ts";
import type { OwnedResource } from "./ownership.ts";

/** What a route requires. */
export type RoutePolicy =
  /** Anyone, signed in or not. */
  | { public: true }
  | {
    permission: Permission;
    /** The route names an owned resource in this path parameter. */
    resource?: { type: OwnedResource; param: string };
    /**
     * A page form posting several actions (`_action` field) may need other
     * permissions per action; unlisted actions need `permission`.
     */
    actions?: Record<string, Permission>;
  };

const connector = (permission: Permission): RoutePolicy => ({
  permission,
  resource: { type: "connector", param: "id" },
});
const pipeline = (permission: Permission): RoutePolicy => ({
  permission,
  resource: { type: "pipeline", param: "id" },
});
const run = (permission: Permission): RoutePolicy => ({
  permission,
  resource: { type: "run", param: "id" },
});
const READ: RoutePolicy = { permission: "read" };
const PUBLIC: RoutePolicy = { public: true };

/** The table. */
export const ROUTE_POLICIES: Record<string, RoutePolicy> = {
  // Island bundles are the same for everyone and reveal nothing.
  "GET /_frsh/js/:buildId/:file*": PUBLIC,

  // Pages.
  "GET /": READ,
  "GET /login": PUBLIC,
  "POST /login": PUBLIC,
  "POST /logout": { permission: "self" },
  "GET /setup": PUBLIC,
  "POST /setup": PUBLIC,
  "GET /account": { permission: "self" },
  "POST /account": { permission: "self" },
  "GET /admin/users": { permission: "user.manage" },
  "POST /admin/users": { permission: "user.manage" },
  "GET /admin/users/:id": { permission: "user.manage" },
  "POST /admin/users/:id": { permission: "user.manage" },
  "GET /admin/audit": { permission: "audit.read" },
  "GET /load-csv": { permission: "pipeline.create" },
  "POST /load-csv": { permission: "pipeline.create" },
  "GET /connectors": READ,
  "GET /connectors/new": { permission: "connector.create" },
  "POST /connectors/new": { permission: "connector.create" },
  "GET /connectors/:id": connector("read"),
  "POST /connectors/:id": {
    ...connector("connector.edit"),
    actions: { test: "connector.use", share: "connector.share" },
  },
  "GET /connectors/:id/schema": connector("connector.use"),
  "GET /connectors/:id/preview": connector("connector.use"),
  "GET /pipelines": READ,
  "GET /pipelines/new": { permission: "pipeline.create" },
  "POST /pipelines/new": { permission: "pipeline.create" },
  "GET /pipelines/:id": pipeline("read"),
  "GET /pipelines/:id/edit": pipeline("pipeline.edit"),
  "POST /pipelines/:id/edit": pipeline("pipeline.edit"),
  "GET /pipelines/:id/versions": pipeline("read"),
  "GET /pipelines/:id/diff": pipeline("read"),
  "POST /pipelines/:id/rollback": pipeline("pipeline.edit"),
  "POST /pipelines/:id": {
    ...pipeline("pipeline.run"),
    actions: { share: "pipeline.share" },
  },
  "GET /runs": READ,
  "GET /runs/:id": run("read"),
  // The Cancel and Re-run buttons (`_action=cancel|rerun`).
  "POST /runs/:id": run("run.manage"),

  // JSON API.
  "GET /api/v1/health": PUBLIC,
  // Describe formats only (no data): editors and tools fetch them unsigned.
  "GET /api/v1/schema/pipeline.json": PUBLIC,
  "GET /api/v1/openapi.json": PUBLIC,
  "POST /api/v1/auth/login": PUBLIC,
  "POST /api/v1/auth/logout": { permission: "self" },
  "GET /api/v1/me": { permission: "self" },
  "GET /api/v1/tokens": { permission: "self" },
  "POST /api/v1/tokens": { permission: "self" },
  "DELETE /api/v1/tokens/:id": { permission: "self" },
  "GET /api/v1/users": { permission: "user.manage" },
  "POST /api/v1/users": { permission: "user.manage" },
  "GET /api/v1/users/:id": { permission: "user.manage" },
  "PUT /api/v1/users/:id": { permission: "user.manage" },
  "GET /api/v1/audit": { permission: "audit.read" },
  "POST /api/v1/admin/rotate-key": { permission: "key.rotate" },
  "GET /api/v1/connector-kinds": READ,
  "GET /api/v1/connectors": READ,
  "POST /api/v1/connectors": { permission: "connector.create" },
  "GET /api/v1/connectors/:id": connector("read"),
  "PUT /api/v1/connectors/:id": connector("connector.edit"),
  "DELETE /api/v1/connectors/:id": connector("connector.edit"),
  "POST /api/v1/connectors/:id/test": connector("connector.use"),
  "GET /api/v1/connectors/:id/schema": connector("connector.use"),
  "POST /api/v1/connectors/:id/preview": connector("connector.use"),
  "GET /api/v1/connectors/:id/shares": connector("read"),
  "PUT /api/v1/connectors/:id/shares": connector("connector.share"),
  "POST /api/v1/uploads": { permission: "pipeline.create" },
  "POST /api/v1/csv-loads": { permission: "pipeline.create" },
  "GET /api/v1/pipelines": READ,
  "POST /api/v1/pipelines": { permission: "pipeline.create" },
  "GET /api/v1/pipelines/:id": pipeline("read"),
  "PUT /api/v1/pipelines/:id": pipeline("pipeline.edit"),
  "DELETE /api/v1/pipelines/:id": pipeline("pipeline.edit"),
  "GET /api/v1/pipelines/:id/export": pipeline("read"),
  "GET /api/v1/pipelines/:id/versions": pipeline("read"),
  "GET /api/v1/pipelines/:id/versions/:version": pipeline("read"),
  "GET /api/v1/pipelines/:id/diff": pipeline("read"),
  "POST /api/v1/pipelines/:id/rollback": pipeline("pipeline.edit"),
  "GET /api/v1/pipelines/:id/shares": pipeline("read"),
  "PUT /api/v1/pipelines/:id/shares": pipeline("pipeline.share"),
  "POST /api/v1/pipelines/:id/runs": pipeline("pipeline.run"),
  "GET /api/v1/runs": READ,
  "GET /api/v1/runs/:id": run("read"),
  "GET /api/v1/runs/:id/events": run("read"),
  "GET /api/v1/runs/:id/tasks/:taskId/logs": run("read"),
  "POST /api/v1/runs/:id/cancel": run("run.manage"),
  "POST /api/v1/runs/:id/rerun": run("run.manage"),
};

/** The policy of a request to `route` (a router pattern), or undefined. */
export function routePolicy(
  method: string,
  route: string,
): RoutePolicy | undefined {
  return ROUTE_POLICIES[`${method === "HEAD" ? "GET" : method} ${route}`];
}
