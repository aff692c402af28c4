// The pipeline page shows the DAG: each step with the stage it runs in
// (steps of one stage run in parallel), and links to versions, export and
// the YAML editor for those who may edit.

import assert from "node:assert/strict";
import { startPlatform } from "./harness.ts";

Deno.test("the pipeline page lists steps by parallel stage, in run order", async () => {
  await using p = await startPlatform();
  const extract = (id: string) => ({
    id,
    type: "extract",
    connector: "files",
    config: { path: `${id}.csv` },
  });
  const load = (id: string, need: string) => ({
    id,
    type: "load",
    needs: [need],
    connector: "warehouse",
    config: { table: id },
  });
  const saved = await p.fetch("/api/v1/pipelines", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      name: "two_branches",
      // Written out of order on purpose: the page shows run order.
      steps: [
        load("load_b", "b"),
        extract("a"),
        load("load_a", "a"),
        extract("b"),
      ],
    }),
  });
  assert.equal(saved.status, 201);
  const { id } = await saved.json();
  const html = await (await p.fetch(`/pipelines/${id}`)).text();
  const table = html.slice(html.indexOf('id="steps"'));
  const rows = [...table.matchAll(/<tr><td>(\d+)<\/td><td>([a-z_]+)<\/td>/g)]
    .map((m) => `${m[1]} ${m[2]}`);
  assert.deepEqual(rows, ["1 a", "1 b", "2 load_b", "2 load_a"]);
  assert.match(html, new RegExp(`href="/pipelines/${id}/versions"`));
  assert.match(html, new RegExp(`href="/pipelines/${id}/edit"`));

  const viewer = await p.createUser("viewer");
  const seen = await (await viewer.fetch(`/pipelines/${id}`)).text();
  assert.doesNotMatch(seen, /id="edit-link"/);
  assert.match(seen, /id="export-link"/);
});
