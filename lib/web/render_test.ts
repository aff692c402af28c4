import assert from "node:assert/strict";
import { type FunctionComponent, h } from "preact";
import { renderPage } from "./render.ts";
import { registerIsland } from "./islands.ts";
import type { Bundle } from "./bundler.ts";

const props = {
  url: new URL("http://localhost/"),
  req: new Request("http://localhost/"),
  params: {},
  state: {},
  error: undefined,
  data: undefined,
};
const wrap =
  (tag: string) => ({ Component }: { Component: FunctionComponent }) =>
    h(tag, null, h(Component, null));

function Toggle(props: { on: boolean }) {
  return h("button", null, props.on ? "on" : "off");
}
registerIsland({
  name: "Toggle",
  file: "/islands/Toggle.tsx",
  component: Toggle,
});

const fakeBundle = (): Promise<Bundle> =>
  Promise.resolve({
    buildId: "abc",
    runtimeUrl: "/_frsh/js/abc/runtime.js",
    islandUrls: { Toggle: "/_frsh/js/abc/island-Toggle.js" },
    files: new Map(),
  });

Deno.test("renderPage() nests layouts outermost first inside a default document", async () => {
  const html = await renderPage(h("p", null, "hi"), {
    props,
    layouts: [wrap("section"), wrap("article")],
  });
  assert.equal(
    html,
    '<!DOCTYPE html><html><head><meta charset="utf-8"/></head><body><section><article><p>hi</p></article></section></body></html>',
  );
});

Deno.test("renderPage() adds no script at all when no island rendered", async () => {
  const html = await renderPage(h("p", null, "static"), {
    props,
    layouts: [],
    bundle: () => Promise.reject(new Error("must not build")),
  });
  assert.doesNotMatch(html, /<script/);
});

Deno.test("renderPage() adds island data and the runtime module before </body>", async () => {
  const html = await renderPage(h(Toggle, { on: true }), {
    props,
    layouts: [],
    bundle: fakeBundle,
  });
  assert.match(
    html,
    /<button>on<\/button><!--\/frsh:island:0--><script type="application\/json" id="__FRSH_ISLANDS">\{"islandUrls":\{"Toggle":"\/_frsh\/js\/abc\/island-Toggle.js"\},"instances":\[\{"id":0,"name":"Toggle","props":\{"on":true\},"signals":\[\]\}\]\}<\/script><script type="module" src="\/_frsh\/js\/abc\/runtime.js"><\/script><\/body><\/html>$/,
  );
});

Deno.test("renderPage() explains that islands need fsRoutes()", async () => {
  await assert.rejects(
    renderPage(h(Toggle, { on: false }), { props, layouts: [] }),
    /Cannot render island "Toggle": the app has no island bundle; load islands with app.fsRoutes\(\)/,
  );
});
