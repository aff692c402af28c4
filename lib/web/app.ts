// The App: middleware, programmatic and file routes, dispatch, and the one
// place where thrown errors become responses.
import { h, type JSX } from "preact";
import {
  Context,
  type HandlerFn,
  isPageResponse,
  type Method,
  type Middleware,
  type PageComponent,
} from "./context.ts";
import { HttpError, statusText } from "./http_error.ts";
import {
  comparePatterns,
  matchPath,
  parsePath,
  type PathPattern,
} from "./path_matcher.ts";
import { type FsRoute, loadFsTree } from "./fs_routes.ts";
import { registerIsland } from "./islands.ts";
import { BUNDLE_PREFIX, IslandBundler } from "./bundler.ts";
import { renderPage } from "./render.ts";

/** Options of {@linkcode App}. */
export interface AppOptions<State> {
  /** Development mode: unminified island bundles. */
  dev?: boolean;
  /**
   * Render an error yourself (`ctx.error` holds the thrown value); return
   * undefined to fall back to `_error`/`_404` pages, problem+json under
   * `/api/`, or plain text.
   */
  onError?: (
    ctx: Context<State>,
  ) => Response | undefined | Promise<Response | undefined>;
}

/** Options of {@linkcode App.listen}. */
export interface ListenOptions {
  port?: number;
  hostname?: string;
  signal?: AbortSignal;
  onListen?: (addr: Deno.NetAddr) => void;
}

/** Options of {@linkcode App.fsRoutes}. */
export interface FsRoutesOptions {
  /** Folder holding `routes/` and `islands/`, e.g. `import.meta.dirname`. */
  root: string;
}

// deno-lint-ignore no-explicit-any
type AnyComponent = PageComponent<any, any>;

interface Route<State> {
  /** The pattern as written, e.g. `/runs/:id`. */
  path: string;
  pattern: PathPattern;
  /** Methods handled; null means all. */
  methods: Set<string> | null;
  middlewares: Middleware<State>[];
  layouts: AnyComponent[];
  run: (ctx: Context<State>) => Promise<Response>;
}

/** A web application: `use()` middlewares, add routes, then serve `handler()`. */
export class App<State = Record<string, unknown>> {
  readonly #options: AppOptions<State>;
  readonly #middlewares: { prefix: string; fn: Middleware<State> }[] = [];
  #routes: Route<State>[] = [];
  #sorted = true;
  #app: AnyComponent | undefined;
  #errorPage: AnyComponent | undefined;
  #notFoundPage: AnyComponent | undefined;
  #rootMiddlewares: Middleware<State>[] = [];
  #rootLayouts: AnyComponent[] = [];
  #bundler: IslandBundler | undefined;

  /** Create an empty app. */
  constructor(options: AppOptions<State> = {}) {
    this.#options = options;
  }

  /** Run `middleware` for every request, or for paths under `prefix` (e.g. `/api`). */
  use(middleware: Middleware<State>): this;
  use(prefix: string, middleware: Middleware<State>): this;
  use(a: string | Middleware<State>, b?: Middleware<State>): this {
    const [prefix, fn] = typeof a === "string"
      ? [a.replace(/\/$/, ""), b!]
      : ["", a];
    this.#middlewares.push({ prefix, fn });
    return this;
  }

  /** Handle GET (and HEAD) at `path`, e.g. `/runs/:id`. */
  get(path: string, handler: HandlerFn<never, State>): this {
    return this.#add(["GET", "HEAD"], path, handler);
  }
  /** Handle POST at `path`. */
  post(path: string, handler: HandlerFn<never, State>): this {
    return this.#add(["POST"], path, handler);
  }
  /** Handle PUT at `path`. */
  put(path: string, handler: HandlerFn<never, State>): this {
    return this.#add(["PUT"], path, handler);
  }
  /** Handle PATCH at `path`. */
  patch(path: string, handler: HandlerFn<never, State>): this {
    return this.#add(["PATCH"], path, handler);
  }
  /** Handle DELETE at `path`. */
  delete(path: string, handler: HandlerFn<never, State>): this {
    return this.#add(["DELETE"], path, handler);
  }

  #add(
    methods: Method[],
    path: string,
    handler: HandlerFn<never, State>,
  ): this {
    this.#routes.push({
      path,
      pattern: parsePath(path),
      methods: new Set(methods),
      middlewares: [],
      layouts: [],
      run: async (ctx) => {
        const result = await handler(ctx);
        if (result instanceof Response) return result;
        throw new TypeError(
          `Handler for "${path}" returned ${typeof result}: return a Response (page() needs a file route)`,
        );
      },
    });
    this.#sorted = false;
    return this;
  }

  /** Load file routes from `<root>/routes` and islands from `<root>/islands`. */
  async fsRoutes(options: FsRoutesOptions): Promise<this> {
    const tree = await loadFsTree<State>(options.root);
    this.#app = tree.app;
    this.#errorPage = tree.error;
    this.#notFoundPage = tree.notFound;
    this.#rootMiddlewares = tree.rootMiddlewares;
    this.#rootLayouts = tree.rootLayouts;
    const seen = new Map<string, string>();
    for (const route of tree.routes) {
      const pattern = parsePath(route.pattern);
      const shape = pattern.segments.map((s) =>
        s.kind === "static" ? s.value : "*"
      ).join("/");
      if (seen.has(shape)) {
        throw new Error(
          `Cannot add route "${route.file}": it has the same path as "${
            seen.get(shape)
          }"`,
        );
      }
      seen.set(shape, route.file);
      this.#routes.push({
        path: route.pattern,
        pattern,
        methods: allowedMethods(route),
        middlewares: route.middlewares,
        layouts: route.layouts,
        run: (ctx) => this.#runFileRoute(ctx, route),
      });
    }
    this.#sorted = false;
    if (tree.islands.length > 0) {
      tree.islands.forEach(registerIsland);
      const bundler = new IslandBundler(tree.islands, {
        dev: this.#options.dev,
      });
      this.#bundler = bundler;
      this.get(`${BUNDLE_PREFIX}:buildId/:file*`, async (ctx) => {
        const { buildId, file } = ctx.params;
        const response = await bundler.serve(buildId, file);
        if (!response) throw new HttpError(404);
        return response;
      });
    }
    return this;
  }

  async #runFileRoute(
    ctx: Context<State>,
    route: FsRoute<State>,
  ): Promise<Response> {
    const { handler, default: Page } = route.module;
    const method = ctx.req.method === "HEAD" ? "GET" : ctx.req.method;
    const fn = typeof handler === "function"
      ? handler
      : handler?.[method as Method];
    const result = fn ? await fn(ctx) : undefined;
    if (result instanceof Response) return result;
    if (fn && !isPageResponse(result)) {
      throw new TypeError(
        `Handler of route "${route.file}" returned ${typeof result}: return a Response or page(data)`,
      );
    }
    if (!Page) {
      throw new TypeError(
        `Route "${route.file}" returned page() but has no default-exported component to render`,
      );
    }
    const data = result?.data;
    const props = { ...this.#props(ctx), data, Component: () => null };
    return this.#render(
      ctx,
      h(Page, props),
      route.layouts,
      result?.init,
    );
  }

  #props(ctx: Context<State>) {
    const { url, req, params, state, error } = ctx;
    return { url, req, params, state, error, data: undefined };
  }

  async #render(
    ctx: Context<State>,
    content: JSX.Element,
    layouts: AnyComponent[],
    init?: ResponseInit,
  ): Promise<Response> {
    const html = await renderPage(content, {
      props: this.#props(ctx),
      layouts,
      app: this.#app,
      bundle: this.#bundler && (() => this.#bundler!.bundle()),
    });
    const headers = new Headers(init?.headers);
    headers.set("content-type", "text/html; charset=utf-8");
    return new Response(html, { ...init, headers });
  }

  /**
   * Every route: its pattern and the methods it answers (null: any method).
   * Lets checks that must cover all routes (e.g. permissions) enumerate them.
   */
  routes(): { path: string; methods: string[] | null }[] {
    return this.#routes.map((route) => ({
      path: route.path,
      methods: route.methods ? [...route.methods] : null,
    }));
  }

  /** The request handler, for `Deno.serve()` or for tests. */
  handler(): (req: Request, info?: Deno.ServeHandlerInfo) => Promise<Response> {
    return (req, info) => this.#dispatch(req, info);
  }

  /** Serve the app with `Deno.serve`. */
  listen(options: ListenOptions = {}): Deno.HttpServer {
    return Deno.serve({ ...options }, this.handler());
  }

  #dispatch(req: Request, info?: Deno.ServeHandlerInfo): Promise<Response> {
    if (!this.#sorted) {
      // Stable sort: among equally specific routes, registration order wins.
      this.#routes.sort((a, b) => comparePatterns(a.pattern, b.pattern));
      this.#sorted = true;
    }
    const pathname = new URL(req.url).pathname;
    const allow = new Set<string>();
    let found:
      | { route: Route<State>; params: Record<string, string> }
      | undefined;
    for (const route of this.#routes) {
      const params = matchPath(route.pattern, pathname);
      if (!params) continue;
      if (!route.methods || route.methods.has(req.method)) {
        found = { route, params };
        break;
      }
      route.methods.forEach((m) => allow.add(m));
    }
    const route = found?.route;
    const endpoint: Middleware<State> = route ? route.run : () => {
      if (allow.size === 0) throw new HttpError(404);
      throw new HttpError(405, undefined, {
        headers: { allow: [...allow].join(", ") },
      });
    };
    const chain = [
      ...this.#middlewares
        .filter(({ prefix }) =>
          pathname === prefix || pathname.startsWith(prefix + "/") ||
          prefix === ""
        )
        .map(({ fn }) => fn),
      ...(route ? route.middlewares : this.#rootMiddlewares),
      endpoint,
    ];
    const layouts = route ? route.layouts : this.#rootLayouts;
    const ctx: Context<State> = new Context(
      req,
      found?.params ?? {},
      {
        chain,
        render: (ctx, vnode, init) => this.#render(ctx, vnode, layouts, init),
        errorResponse: (ctx, error) => this.#errorResponse(ctx, error),
      },
      info,
      route?.path ?? null,
    );
    return ctx.next();
  }

  async #errorResponse(ctx: Context<State>, error: unknown): Promise<Response> {
    ctx.error = error;
    const status = error instanceof HttpError ? error.status : 500;
    const headers = error instanceof HttpError ? error.headers : new Headers();
    if (!(error instanceof HttpError)) {
      console.error(
        `Unhandled error in ${ctx.req.method} ${ctx.url.pathname}:`,
        error,
      );
    }
    // Only HttpError messages are meant for clients; others could leak internals.
    const detail = error instanceof HttpError ? error.message : statusText(500);
    try {
      const custom = await this.#options.onError?.(ctx);
      if (custom) return custom;
      const { pathname } = ctx.url;
      if (pathname === "/api" || pathname.startsWith("/api/")) {
        headers.set("content-type", "application/problem+json");
        const body = {
          type: "about:blank",
          title: statusText(status),
          status,
          detail,
        };
        return new Response(JSON.stringify(body), { status, headers });
      }
      const Page = (status === 404 && this.#notFoundPage) || this.#errorPage;
      if (Page) {
        const props = { ...this.#props(ctx), Component: () => null };
        return await this.#render(
          ctx,
          h(Page, props),
          this.#rootLayouts,
          {
            status,
            headers,
          },
        );
      }
    } catch (renderError) {
      console.error(
        `Cannot render the error response for ${ctx.url.pathname}:`,
        renderError,
      );
      return new Response(statusText(500), { status: 500 });
    }
    headers.set("content-type", "text/plain; charset=utf-8");
    return new Response(detail, { status, headers });
  }
}

function allowedMethods<State>(route: FsRoute<State>): Set<string> | null {
  const { handler, default: Page } = route.module;
  if (typeof handler === "function") return null;
  const methods = new Set<string>(Object.keys(handler ?? {}));
  if (Page) methods.add("GET"); // a component renders on GET by itself
  if (methods.has("GET")) methods.add("HEAD");
  return methods;
}
