// Browser entry (bundled by esbuild, never run on the server): finds island
// markers, loads each island's module and hydrates it with its props.
import { h, hydrate } from "preact";
import { signal } from "@preact/signals";
import type { IslandInstance } from "./islands.ts";

/** What the server puts in `<script type="application/json" id="__FRSH_ISLANDS">`. */
export interface IslandPayload {
  islandUrls: Record<string, string>;
  instances: IslandInstance[];
}

function revive(instance: IslandInstance): Record<string, unknown> {
  const props = instance.props;
  // Innermost paths first, so an outer signal wraps already-revived values.
  for (const path of [...instance.signals].reverse()) {
    if (path.length === 0) continue; // props itself can't be a signal
    let parent = props as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) {
      parent = parent[key] as Record<string | number, unknown>;
    }
    const last = path[path.length - 1];
    parent[last] = signal(parent[last]);
  }
  return props;
}

/**
 * A stand-in parent that makes Preact hydrate only the nodes between two
 * comment markers (the "root fragment" technique Fresh also uses).
 */
function fragmentBetween(start: Comment, end: Comment): Element {
  const parent = start.parentNode as Element;
  const nodes: ChildNode[] = [];
  for (let n = start.nextSibling; n && n !== end; n = n.nextSibling) {
    nodes.push(n);
  }
  const insert = (node: Node, before?: Node | null) =>
    parent.insertBefore(node, before ?? end);
  return {
    nodeType: 1,
    namespaceURI: parent.namespaceURI,
    parentNode: parent,
    firstChild: nodes[0] ?? null,
    childNodes: nodes,
    insertBefore: insert,
    appendChild: insert,
    removeChild: (node: Node) => parent.removeChild(node),
  } as unknown as Element;
}

async function main(): Promise<void> {
  const script = document.getElementById("__FRSH_ISLANDS");
  if (!script?.textContent) return;
  const payload = JSON.parse(script.textContent) as IslandPayload;
  const starts = new Map<string, Comment>();
  const pairs: [IslandInstance, Comment, Comment][] = [];
  const walker = document.createTreeWalker(
    document.body,
    NodeFilter.SHOW_COMMENT,
  );
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const text = (n as Comment).data;
    const open = /^frsh:island:\w+:(\d+)$/.exec(text);
    const close = /^\/frsh:island:(\d+)$/.exec(text);
    if (open) starts.set(open[1], n as Comment);
    if (close && starts.has(close[1])) {
      const instance = payload.instances[Number(close[1])];
      if (instance) pairs.push([instance, starts.get(close[1])!, n as Comment]);
    }
  }
  await Promise.all(pairs.map(async ([instance, start, end]) => {
    const module = await import(payload.islandUrls[instance.name]);
    hydrate(h(module.default, revive(instance)), fragmentBetween(start, end));
  }));
}

main().catch((error) => console.error("Island hydration failed:", error));
