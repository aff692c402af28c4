// Builds the web application: middlewares, file-system routes and islands.

import { App, csrf, securityHeaders, staticFiles } from "./lib/web/mod.ts";
import type { Services } from "./lib/services.ts";
import type { State } from "./lib/state.ts";
import { problemResponse } from "./lib/api/problem.ts";

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
  await app.fsRoutes({ root: ROOT });
  return app;
}
