// Loads `routes/` and `islands/` with Fresh's file conventions into plain
// data that App registers.
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import type { Middleware, PageComponent, RouteHandler } from "./context.ts";
import type { Island } from "./islands.ts";

/** The exports App uses from a route file. */
export interface RouteModule<State> {
  handler?: RouteHandler<unknown, State>;
  // deno-lint-ignore no-explicit-any
  default?: PageComponent<any, any>;
}

/** One route file, with the middlewares and layouts of its folders. */
export interface FsRoute<State> {
  /** Path pattern, e.g. `/runs/:id` or `/docs/:path*`. */
  pattern: string;
  /** Path relative to the root, for error messages. */
  file: string;
  module: RouteModule<State>;
  /** `_middleware` files from the routes folder down to the route's folder. */
  middlewares: Middleware<State>[];
  // deno-lint-ignore no-explicit-any
  layouts: PageComponent<any, any>[];
}

/** Everything found under a root folder. */
export interface FsTree<State> {
  routes: FsRoute<State>[];
  /** Middlewares and layouts of `routes/` itself, for 404s and errors. */
  rootMiddlewares: Middleware<State>[];
  // deno-lint-ignore no-explicit-any
  rootLayouts: PageComponent<any, any>[];
  // deno-lint-ignore no-explicit-any
  app?: PageComponent<any, any>;
  // deno-lint-ignore no-explicit-any
  error?: PageComponent<any, any>;
  // deno-lint-ignore no-explicit-any
  notFound?: PageComponent<any, any>;
  islands: Island[];
}

const SCRIPT = /\.(tsx?|jsx?)$/;
const TEST = /[_.]test\.(tsx?|jsx?)$/;

async function listDir(dir: string): Promise<Deno.DirEntry[]> {
  const entries = await Array.fromAsync(Deno.readDir(dir));
  return entries.sort((a, b) => a.name < b.name ? -1 : 1);
}

function isModule(entry: Deno.DirEntry): boolean {
  return entry.isFile && SCRIPT.test(entry.name) && !TEST.test(entry.name) &&
    !entry.name.endsWith(".d.ts");
}

// deno-lint-ignore no-explicit-any
async function load(file: string): Promise<Record<string, any>> {
  return await import(pathToFileURL(file).href);
}

/** `[id]` → `:id`, `[...rest]` → `:rest*`, `index` → nothing. */
function toSegment(name: string, file: string): string | null {
  if (name === "index") return null;
  const match = /^\[(\.\.\.)?([A-Za-z_$][\w$]*)\]$/.exec(name);
  if (match) return match[1] ? `:${match[2]}*` : `:${match[2]}`;
  if (/[[\]:*]/.test(name)) {
    throw new Error(
      `Cannot load route "${file}": segment "${name}" must be a plain name, "[param]" or "[...rest]"`,
    );
  }
  return name;
}

/** Load `<root>/routes/**` and `<root>/islands/**`. */
export async function loadFsTree<State>(root: string): Promise<FsTree<State>> {
  const routesDir = join(root, "routes");
  try {
    await Deno.stat(routesDir);
  } catch {
    throw new Error(
      `Cannot load routes from "${routesDir}": folder not found; pass fsRoutes({ root }) the folder that contains routes/, e.g. import.meta.dirname`,
    );
  }
  const tree: FsTree<State> = {
    routes: [],
    rootMiddlewares: [],
    rootLayouts: [],
    islands: [],
  };

  async function walk(
    dir: string,
    segments: string[],
    middlewares: Middleware<State>[],
    // deno-lint-ignore no-explicit-any
    layouts: PageComponent<any, any>[],
  ): Promise<void> {
    const entries = await listDir(dir);
    const special = (base: string) =>
      entries.find((e) => isModule(e) && e.name.replace(SCRIPT, "") === base);
    const isRoot = dir === routesDir;
    for (const base of ["_app", "_error", "_404"]) {
      const entry = special(base);
      if (!entry) continue;
      const file = relative(root, join(dir, entry.name));
      if (!isRoot) {
        throw new Error(
          `Cannot load "${file}": ${base} is only supported directly in routes/`,
        );
      }
      const mod = await load(join(dir, entry.name));
      if (typeof mod.default !== "function") {
        throw new Error(
          `Cannot load "${file}": it must default-export a component`,
        );
      }
      tree[base === "_app" ? "app" : base === "_error" ? "error" : "notFound"] =
        mod.default;
    }
    const mwEntry = special("_middleware");
    if (mwEntry) {
      const mod = await load(join(dir, mwEntry.name));
      const found = [mod.default ?? mod.handler].flat();
      if (found.length === 0 || !found.every((f) => typeof f === "function")) {
        throw new Error(
          `Cannot load "${
            relative(root, join(dir, mwEntry.name))
          }": default-export a middleware function or an array of them`,
        );
      }
      middlewares = [...middlewares, ...found];
    }
    const layoutEntry = special("_layout");
    if (layoutEntry) {
      layouts = [...layouts, (await load(join(dir, layoutEntry.name))).default];
    }
    if (isRoot) {
      [tree.rootMiddlewares, tree.rootLayouts] = [middlewares, layouts];
    }

    for (const entry of entries) {
      const path = join(dir, entry.name);
      const file = relative(root, path);
      if (entry.isDirectory) {
        if (entry.name.startsWith("_") || entry.name.startsWith(".")) continue;
        const group = /^\(.+\)$/.test(entry.name);
        const segment = group ? null : toSegment(entry.name, file);
        await walk(
          path,
          segment ? [...segments, segment] : segments,
          middlewares,
          layouts,
        );
      } else if (isModule(entry) && !entry.name.startsWith("_")) {
        const segment = toSegment(entry.name.replace(SCRIPT, ""), file);
        const pattern = "/" +
          (segment ? [...segments, segment] : segments).join("/");
        const module = await load(path) as RouteModule<State>;
        if (!module.handler && typeof module.default !== "function") {
          throw new Error(
            `Cannot load route "${file}": export a handler or default-export a component`,
          );
        }
        tree.routes.push({ pattern, file, module, middlewares, layouts });
      }
    }
  }

  await walk(routesDir, [], [], []);
  tree.islands = await loadIslands(root, join(root, "islands"));
  return tree;
}

async function loadIslands(root: string, dir: string): Promise<Island[]> {
  let entries: Deno.DirEntry[];
  try {
    entries = await listDir(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const islands: Island[] = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) islands.push(...await loadIslands(root, path));
    if (!isModule(entry)) continue;
    const component = (await load(path)).default;
    const file = relative(root, path);
    if (typeof component !== "function") {
      throw new Error(
        `Cannot load island "${file}": it must default-export a component`,
      );
    }
    const name = relative(join(root, "islands"), path).replace(SCRIPT, "")
      .replace(/\W/g, "_");
    islands.push({ name, file: path, component });
  }
  return islands;
}
