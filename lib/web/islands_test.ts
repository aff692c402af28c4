import assert from "node:assert/strict";
import { h } from "preact";
import { renderToString } from "preact-render-to-string";
import { signal } from "@preact/signals";
import { collectIslands, jsonForScript, registerIsland } from "./islands.ts";

function Chart(props: { title: string }) {
  return h("figure", null, props.title, h(Legend, { items: ["a"] }));
}
function Legend(props: { items: string[] }) {
  return h("ul", null, props.items.map((item) => h("li", null, item)));
}
registerIsland({ name: "Chart", file: "/islands/Chart.tsx", component: Chart });
registerIsland({
  name: "Legend",
  file: "/islands/Legend.tsx",
  component: Legend,
});

Deno.test("islands render between comment markers and record their props", () => {
  const vnode = h("main", null, h(Legend, { items: ["x", "y"] }));
  const { result, islands } = collectIslands(() => renderToString(vnode));
  assert.equal(
    result,
    "<main><!--frsh:island:Legend:0--><ul><li>x</li><li>y</li></ul><!--/frsh:island:0--></main>",
  );
  assert.deepEqual(islands, [
    { id: 0, name: "Legend", props: { items: ["x", "y"] }, signals: [] },
  ]);
});

Deno.test("an island inside an island hydrates with its parent, unmarked", () => {
  const { result, islands } = collectIslands(() =>
    renderToString(h(Chart, { title: "Runs" }))
  );
  assert.deepEqual(islands.map((i) => i.name), ["Chart"]);
  assert.equal(result.match(/<!--frsh:island:/g)?.length, 1);
  assert.match(result, /<li>a<\/li>/);
});

Deno.test("islands outside a page render are plain components", () => {
  assert.equal(
    renderToString(h(Legend, { items: ["x"] })),
    "<ul><li>x</li></ul>",
  );
});

Deno.test("island props: signals are recorded by path, dates become strings", () => {
  const props = {
    items: ["a"],
    count: signal(2),
    nested: { when: new Date("2024-01-02T03:04:05Z"), live: [signal("on")] },
  };
  const { islands } = collectIslands(() => renderToString(h(Legend, props)));
  assert.deepEqual(islands[0].props, {
    items: ["a"],
    count: 2,
    nested: { when: "2024-01-02T03:04:05.000Z", live: ["on"] },
  });
  assert.deepEqual(islands[0].signals, [["count"], ["nested", "live", 0]]);
});

Deno.test("island props: functions, JSX children and class instances are refused by name", () => {
  const render = (props: Record<string, unknown>) => () =>
    collectIslands(() => renderToString(h(Legend, { items: [], ...props })));
  assert.throws(
    render({ config: { onSave: () => {} } }),
    /Cannot serialize prop "config.onSave" of island "Legend": functions cannot be sent to the browser/,
  );
  assert.throws(
    render({ children: h("b", null, "x") }),
    /prop "children".*JSX elements/,
  );
  assert.throws(
    render({ lookup: new Map() }),
    /prop "lookup".*a Map instance is not plain data/,
  );
});

Deno.test("jsonForScript() escapes < so data can't close the script element", () => {
  const json = jsonForScript({ label: "</script><script>alert(1)</script>" });
  assert.doesNotMatch(json, /</);
  assert.deepEqual(JSON.parse(json), {
    label: "</script><script>alert(1)</script>",
  });
});
