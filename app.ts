// Builds the web application: middlewares, file-system routes and islands.

import { App, csrf, securityHeaders, staticFiles } from "./lib/web/mod.ts";
import type { Services } from "./lib/services.ts";
import type { State } from "./lib/state.ts";
import { problemResponse } from "./lib/api/problem.ts";
import { authenticate } from "./lib/auth/authenticate.ts";
import { authorize } from "./lib/rbac/authorize.ts";

const ROOT = import.meta.dirname!;

/** The platform's web app over `services`. */
export async function createApp(services: Services): Promise<App<State>> {
  const app = new App<State>({
    onError(ctx) {
      const { pathname } = ctx.url;
      if (pathname.startsWith("/api/")) return problemResponse(ctx.error);
      return undefined;
    },
  });
  app.use(securityHeaders());
  app.use(csrf());
  app.use(staticFiles({ root: `${ROOT}/static` }));
  app.use((ctx) => {
    ctx.state.services = services;
    return ctx.next();
  });
  // Every route goes through these two: who is asking, and may they.
  app.use(authenticate(() => services.db, {
    trustProxy: services.config.trustProxy,
  }));
  app.use(authorize(() => services.db));
  // Pages and API answers are per-user: no shared cache may keep them.
  app.use(async (ctx) => {
    const response = await ctx.next();
    if (!response.headers.has("cache-control")) {
      try {
        response.headers.set("cache-control", "private, no-store");
      } catch { /* immutable headers (e.g. a fetched response): leave them */ }
    }
    return response;
  });
  await app.fsRoutes({ root: ROOT });
  return app;
}
