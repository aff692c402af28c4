// The single `ctx` argument of middlewares, handlers and pages, plus the
// handler and page types built on it.
import type { FunctionComponent, JSX } from "preact";

/** HTTP methods a route can handle by name. */
export type Method =
  | "GET"
  | "HEAD"
  | "POST"
  | "PUT"
  | "PATCH"
  | "DELETE"
  | "OPTIONS";

const PAGE = Symbol("page");

/** What `page()` returns: data for the route's page component. */
export interface PageResponse<Data> {
  readonly [PAGE]: true;
  /** Passed to the page component as `props.data`. */
  readonly data: Data;
  /** Status and headers of the HTML response. */
  readonly init?: ResponseInit;
}

/** Ask for the route's default-exported component to render `data`. */
export function page<Data = undefined>(
  data?: Data,
  init?: ResponseInit,
): PageResponse<Data> {
  return { [PAGE]: true, data: data as Data, init };
}

/** Whether a handler result is a `page()` rather than a Response. */
export function isPageResponse(value: unknown): value is PageResponse<unknown> {
  return typeof value === "object" && value !== null && PAGE in value;
}

/** Runs before the route; calls `ctx.next()` to continue or returns its own Response. */
export type Middleware<State> = (
  ctx: Context<State>,
) => Response | Promise<Response>;

/** A route handler: returns a Response or `page(data)`. */
export type HandlerFn<Data, State> = (
  ctx: Context<State>,
) => Response | PageResponse<Data> | Promise<Response | PageResponse<Data>>;

/** One handler per HTTP method; other methods get 405. */
export type HandlerByMethod<Data, State> = {
  [M in Method]?: HandlerFn<Data, State>;
};

/** What a route module exports as `handler`. */
export type RouteHandler<Data, State> =
  | HandlerFn<Data, State>
  | HandlerByMethod<Data, State>;

/** Props of page, layout, `_app` and error components. */
export interface PageProps<Data = undefined, State = Record<string, unknown>> {
  /** What the handler passed to `page()`. */
  data: Data;
  url: URL;
  req: Request;
  params: Record<string, string>;
  state: State;
  /** The thrown value, on `_error`/`_404` pages (and their layouts). */
  error: unknown;
  /** In `_app` and `_layout`: the inner content to render. */
  Component: FunctionComponent;
}

/** A page, layout or `_app` component. Async components are not supported. */
export type PageComponent<Data = undefined, State = Record<string, unknown>> = (
  props: PageProps<Data, State>,
) => JSX.Element | null;

/** What the App gives each Context: the chain to run and how to render. */
export interface ContextInternals<State> {
  chain: Middleware<State>[];
  render(
    ctx: Context<State>,
    vnode: JSX.Element,
    init?: ResponseInit,
  ): Promise<Response>;
  errorResponse(ctx: Context<State>, error: unknown): Promise<Response>;
}

/** The per-request context: request data, mutable state and response helpers. */
export class Context<State> {
  /** The incoming request. */
  readonly req: Request;
  /** `req.url`, parsed. */
  readonly url: URL;
  /** Connection info from `Deno.serve`, when served by it. */
  readonly info: Deno.ServeHandlerInfo | undefined;
  /** Path parameters of the matched route, e.g. `{ id: "42" }`. */
  readonly params: Record<string, string>;
  /** The matched route's pattern, e.g. `/runs/:id`; null when none matched. */
  readonly route: string | null;
  /** Per-request data that middlewares fill in for later handlers. */
  state: State;
  /** The thrown value while rendering an error response. */
  error: unknown = undefined;
  #internals: ContextInternals<State>;
  #index = -1;

  /** Created by App for each request; not meant for application code. */
  constructor(
    req: Request,
    params: Record<string, string>,
    internals: ContextInternals<State>,
    info?: Deno.ServeHandlerInfo,
    route: string | null = null,
  ) {
    this.req = req;
    this.url = new URL(req.url);
    this.params = params;
    this.route = route;
    this.state = {} as State;
    this.info = info;
    this.#internals = internals;
  }

  /**
   * Run the next middleware or the route. Errors thrown further in are
   * already turned into error responses here, so outer middlewares (security
   * headers, logging) see and can decorate every response.
   */
  async next(): Promise<Response> {
    const chain = this.#internals.chain;
    const fn = chain[++this.#index];
    if (!fn) throw new Error("Cannot call ctx.next(): the route already ran");
    try {
      const response = await fn(this);
      if (response instanceof Response) return response;
      throw new TypeError(
        `Middleware "${
          fn.name || "anonymous"
        }" returned ${typeof response}: return a Response, e.g. "return ctx.next()"`,
      );
    } catch (error) {
      return await this.#internals.errorResponse(this, error);
    }
  }

  /** Render `vnode` as a full HTML page inside the route's `_layout`s and `_app`. */
  render(vnode: JSX.Element, init?: ResponseInit): Promise<Response> {
    return this.#internals.render(this, vnode, init);
  }

  /**
   * Redirect to `location` (303 by default, so a POST becomes a GET).
   * A leading `//` is collapsed so user input can't redirect off-site.
   */
  redirect(location: string, status = 303): Response {
    const safe = location.startsWith("//")
      ? "/" + location.replace(/^\/+/, "")
      : location;
    return new Response(null, { status, headers: { location: safe } });
  }

  /** A JSON response. */
  json(data: unknown, init?: ResponseInit): Response {
    return Response.json(data, init);
  }

  /** A plain-text response. */
  text(body: string, init?: ResponseInit): Response {
    const headers = new Headers(init?.headers);
    if (!headers.has("content-type")) {
      headers.set("content-type", "text/plain; charset=utf-8");
    }
    return new Response(body, { ...init, headers });
  }
}
