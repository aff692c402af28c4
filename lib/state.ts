// The per-request state every route sees, and the typed define helpers.

import { createDefine } from "./web/mod.ts";
import type { Services } from "./services.ts";

/** What middlewares put on `ctx.state`. */
export interface State {
  services: Services;
}

/** `define.handlers`, `define.page`, `define.middleware` typed for this app. */
export const define = createDefine<State>();
