// Server-side rendering of a page: the content inside its `_layout`s and
// `_app`, plus the island scripts when (and only when) an island rendered.
import { type FunctionComponent, h, type JSX } from "preact";
import { renderToString } from "preact-render-to-string";
import type { PageComponent, PageProps } from "./context.ts";
import { collectIslands, jsonForScript } from "./islands.ts";
import type { Bundle } from "./bundler.ts";
import type { IslandPayload } from "./client_runtime.ts";

/** What {@linkcode renderPage} needs besides the content. */
export interface RenderPageOptions<State> {
  /** Props shared by `_app` and layouts (`Component` is filled in). */
  props: Omit<PageProps<unknown, State>, "Component">;
  /** Layouts, outermost first. */
  // deno-lint-ignore no-explicit-any
  layouts: readonly PageComponent<any, any>[];
  /** The `_app` document; a minimal HTML document when absent. */
  // deno-lint-ignore no-explicit-any
  app?: PageComponent<any, any>;
  /** Called only when an island rendered, to get script URLs. */
  bundle?: () => Promise<Bundle>;
}

function DefaultApp(
  { Component }: { Component: FunctionComponent },
): JSX.Element {
  return h(
    "html",
    null,
    h("head", null, h("meta", { charset: "utf-8" })),
    h("body", null, h(Component, null)),
  );
}

/** Render `content` as a complete HTML document string. */
export async function renderPage<State>(
  content: JSX.Element,
  options: RenderPageOptions<State>,
): Promise<string> {
  const { props, layouts, app } = options;
  let Component: FunctionComponent = () => content;
  for (const Layout of [...layouts].reverse()) {
    const Inner = Component;
    Component = () => h(Layout, { ...props, Component: Inner });
  }
  const root: JSX.Element = app
    ? h(app, { ...props, Component })
    : h(DefaultApp, { Component });
  // renderToString is synchronous, which is what lets islands.ts collect
  // islands in a module variable without mixing up concurrent requests.
  const { result, islands } = collectIslands(() => renderToString(root));
  const html = "<!DOCTYPE html>" + result;
  if (islands.length === 0) return html; // no island: no JavaScript at all
  if (!options.bundle) {
    throw new Error(
      `Cannot render island "${
        islands[0].name
      }": the app has no island bundle; load islands with app.fsRoutes()`,
    );
  }
  const bundle = await options.bundle();
  const payload: IslandPayload = {
    islandUrls: Object.fromEntries(
      islands.map((i) => [i.name, bundle.islandUrls[i.name]]),
    ),
    instances: islands,
  };
  // No inline JavaScript, so a strict CSP (script-src 'self') still hydrates:
  // JSON data blocks are not executed and the runtime is an external module.
  const scripts = `<script type="application/json" id="__FRSH_ISLANDS">${
    jsonForScript(payload)
  }</script><script type="module" src="${bundle.runtimeUrl}"></script>`;
  const at = html.lastIndexOf("</body>");
  return at === -1
    ? html + scripts
    : html.slice(0, at) + scripts + html.slice(at);
}
