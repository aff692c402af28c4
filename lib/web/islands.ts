// Islands during SSR: island components are swapped for a marker component
// that records their props and wraps their HTML in comment markers, which
// client_runtime.ts hydrates.
import {
  type ComponentType,
  createContext,
  Fragment,
  type FunctionComponent,
  h,
  isValidElement,
  options,
  type VNode,
} from "preact";
import { useContext } from "preact/hooks";
import { Signal } from "@preact/signals";

/** An island: the default export of a file in `islands/`. */
export interface Island {
  /** Safe identifier derived from the file path, e.g. `charts_RunGraph`. */
  readonly name: string;
  /** Absolute path of the module, the esbuild entry point. */
  readonly file: string;
  // deno-lint-ignore no-explicit-any
  readonly component: ComponentType<any>;
}

/** One island rendered in a page, as sent to the browser. */
export interface IslandInstance {
  id: number;
  name: string;
  /** JSON-safe props; signals are replaced by their value. */
  props: Record<string, unknown>;
  /** Paths (keys from props) of values to revive as signals, outermost first. */
  signals: (string | number)[][];
}

const markers = new Map<unknown, FunctionComponent>();
const InsideIsland = createContext(false);
let collected: IslandInstance[] | null = null;
let creatingOriginal = false;

/** Make `island.component` render as an island in every later SSR. */
export function registerIsland(island: Island): void {
  markers.set(island.component, function IslandMarker(props) {
    // The marker renders the real component; keep the vnode hook off it.
    creatingOriginal = true;
    const inner = h(island.component, props);
    creatingOriginal = false;
    // Islands inside islands hydrate as part of their parent.
    if (useContext(InsideIsland) || collected === null) return inner;
    const id = collected.length;
    collected.push({ id, name: island.name, ...serializeProps(island, props) });
    return h(
      Fragment,
      null,
      comment(`frsh:island:${island.name}:${id}`),
      h(InsideIsland.Provider, { value: true }, inner),
      comment(`/frsh:island:${id}`),
    );
  });
}

// preact-render-to-string prints a Fragment with this prop as an HTML comment.
function comment(text: string): VNode {
  return h(Fragment, { UNSTABLE_comment: text } as Record<string, unknown>);
}

// JSX elements are often created in handlers, before any render starts, so
// the swap happens at vnode creation and the marker checks for an active SSR.
const previousVnodeHook = options.vnode;
options.vnode = (vnode: VNode) => {
  const marker = creatingOriginal ? undefined : markers.get(vnode.type);
  if (marker) (vnode as { type: unknown }).type = marker;
  previousVnodeHook?.(vnode);
};

/** Run a synchronous render and return the islands it used, in page order. */
export function collectIslands<T>(
  render: () => T,
): { result: T; islands: IslandInstance[] } {
  const outer = collected;
  collected = [];
  try {
    const result = render();
    return { result, islands: collected };
  } finally {
    collected = outer;
  }
}

/**
 * Turn props into JSON-safe data. Only plain data and signals can cross to
 * the browser; JSX children (VNodes) are not supported (unlike Fresh), so
 * pass data and let the island render it.
 */
function serializeProps(
  island: Island,
  props: Record<string, unknown>,
): Pick<IslandInstance, "props" | "signals"> {
  const signals: (string | number)[][] = [];
  const refuse = (path: (string | number)[], why: string): never => {
    throw new TypeError(
      `Cannot serialize prop "${
        path.join(".")
      }" of island "${island.name}": ${why}`,
    );
  };
  const walk = (value: unknown, path: (string | number)[]): unknown => {
    if (value === null || value === undefined) return value;
    switch (typeof value) {
      case "string":
      case "number":
      case "boolean":
        return value;
      case "function":
        return refuse(
          path,
          "functions cannot be sent to the browser; define the function inside the island",
        );
      case "bigint":
      case "symbol":
        return refuse(path, `a ${typeof value} is not JSON data`);
    }
    if (value instanceof Signal) {
      signals.push(path);
      return walk(value.peek(), path);
    }
    if (isValidElement(value)) {
      return refuse(
        path,
        "JSX elements (children) are not supported in island props",
      );
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i]));
    const proto = Object.getPrototypeOf(value);
    if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
      return walk((value as { toJSON(): unknown }).toJSON(), path); // Date: ISO string
    }
    if (proto !== Object.prototype && proto !== null) {
      return refuse(
        path,
        `a ${proto?.constructor?.name ?? "class"} instance is not plain data`,
      );
    }
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k])]),
    );
  };
  return { props: walk(props, []) as Record<string, unknown>, signals };
}

/** JSON for a `<script type="application/json">` block: `<` escaped so it can't close the tag. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}
