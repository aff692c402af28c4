// Identity helpers that only carry types, as Fresh 2's `createDefine()`.
import type { Middleware, PageComponent, RouteHandler } from "./context.ts";

/** The helpers returned by {@linkcode createDefine}. */
export interface Define<State> {
  /** Type a route's `handler` export; `Data` is inferred from its `page()` calls. */
  handlers<Data>(handlers: RouteHandler<Data, State>): typeof handlers;
  /** Type a page component; pass `typeof handler` to type `props.data`. */
  page<
    // deno-lint-ignore no-explicit-any
    Handler extends RouteHandler<any, State> = RouteHandler<undefined, State>,
    Data = Handler extends RouteHandler<infer D, State> ? D : never,
  >(render: PageComponent<Data, State>): typeof render;
  /** Type a middleware (a `_middleware.ts` default export or an `app.use()` argument). */
  middleware(middleware: Middleware<State>): typeof middleware;
}

/** Make typed `handlers`, `page` and `middleware` helpers for one app state type. */
export function createDefine<State>(): Define<State> {
  return {
    handlers: (handlers) => handlers,
    page: (render) => render,
    middleware: (middleware) => middleware,
  };
}
