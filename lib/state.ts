// The per-request state every route sees, and the typed define helpers.

import { createDefine } from "./web/mod.ts";
import type { Services } from "./services.ts";
import type { AuthorizeState } from "./rbac/authorize.ts";

/**
 * What middlewares put on `ctx.state`: the services, then (authenticate)
 * `user`, `ip`, `sessionToken`, then (authorize) `ownership`.
 */
export interface State extends AuthorizeState {
  services: Services;
}

/** `define.handlers`, `define.page`, `define.middleware` typed for this app. */
export const define = createDefine<State>();
