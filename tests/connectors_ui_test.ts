// The connector pages without JavaScript: the list, the form generated from
// a kind's schema, create/edit/delete by plain form posts, and field errors
// shown next to their input.

import assert from "node:assert/strict";
import postgres from "postgres";
import { type Platform, startPlatform } from "./harness.ts";
import { createScratchDatabase } from "../lib/db/test_db.ts";
import { loadConnectorSecrets } from "../lib/connector/connector_store.ts";
import { describeConnectorKinds } from "../lib/connector/connector_actions.ts";
import { connectorKinds } from "../connectors/registry.ts";

const PASSWORD = "Form-s3cret-5521";

function post(p: Platform, path: string, fields: Record<string, string>) {
  return p.fetch(path, { method: "POST", body: new URLSearchParams(fields) });
}

function pgFields(url: string): Record<string, string> {
  const u = new URL(url);
  return {
    kind: "postgres",
    name: "shop_pg",
    "config.host": u.hostname,
    "config.port": u.port,
    "config.database": u.pathname.slice(1),
    "config.user": "postgres",
    "config.password": PASSWORD,
    "config.ssl": "disable",
    "config.schema": "public",
  };
}

Deno.test("the connectors page lists built-ins with kind and abilities, without Edit for them", async () => {
  await using p = await startPlatform();
  const response = await p.fetch("/connectors");
  const html = await response.text();
  assert.equal(response.status, 200);
  assert.match(html, /data-connector="warehouse".*?Local warehouse.*?Open/s);
  // Other kinds' labels change as they grow; the registry is the reference.
  const files = connectorKinds.csv.label.replace(/[()]/g, "\\$&");
  assert.match(
    html,
    new RegExp(
      `data-connector="files".*?${files}.*?<td>yes</td><td>no</td>`,
      "s",
    ),
  );
  assert.match(html, /href="\/connectors\/new"/);
  assert.doesNotMatch(html, />Edit</, "only built-ins here: nothing to edit");
});

Deno.test("the new-connector page offers a kind picker, then a form generated from the kind's schema", async () => {
  await using p = await startPlatform();
  const picker = await (await p.fetch("/connectors/new")).text();
  assert.match(picker, /href="\/connectors\/new\?kind=postgres"/);
  assert.doesNotMatch(picker, /kind=warehouse/);

  const html = await (await p.fetch("/connectors/new?kind=postgres")).text();
  assert.match(html, /<input name="config.password"[^>]*type="password"/);
  assert.match(
    html,
    /<input name="config.port"[^>]*type="number"[^>]*value="5432"/,
  );
  assert.match(html, /<select name="config.ssl"/);
  assert.match(html, /Role to connect as/);
  const csv = await (await p.fetch("/connectors/new?kind=csv")).text();
  assert.match(
    csv,
    /<input name="config.header"[^>]*type="checkbox"[^>]*checked/,
  );
});

Deno.test("every creatable kind gets a form with one named input per config property", async () => {
  await using p = await startPlatform();
  for (const kind of describeConnectorKinds().filter((k) => k.creatable)) {
    const response = await p.fetch(`/connectors/new?kind=${kind.name}`);
    const html = await response.text();
    assert.equal(response.status, 200, kind.name);
    for (const key of Object.keys(kind.schema.properties ?? {})) {
      assert.match(
        html,
        new RegExp(`name="config\\.${key}"`),
        `${kind.name}.${key}`,
      );
    }
    for (const secret of kind.secretFields) {
      assert.match(
        html,
        new RegExp(`name="config\\.${secret}"[^>]*type="password"`),
      );
    }
  }
});

Deno.test("posting the new-connector form creates it and redirects to its page", async () => {
  await using p = await startPlatform();
  const scratch = await createScratchDatabase("etl_conn_ui");
  try {
    const response = await post(p, "/connectors/new", pgFields(scratch.url));
    assert.equal(response.status, 303);
    const location = response.headers.get("location")!;
    assert.match(location, /^\/connectors\/\d+$/);
    const id = Number(location.split("/").pop());
    assert.deepEqual(
      await loadConnectorSecrets(p.services.db, p.services.box, id),
      { password: PASSWORD },
    );
    const detail = await (await p.fetch(location)).text();
    assert.match(detail, /shop_pg/);
    assert.match(detail, /placeholder="set — leave empty to keep"/);
    assert.ok(!detail.includes(PASSWORD));
    assert.match(detail, /id="delete-connector"/);

    // Test connection without JavaScript: a post that re-renders the page.
    const tested = await post(p, location, { _action: "test" });
    assert.match(await tested.text(), /data-ok="true"[^>]*>OK — PostgreSQL/);
  } finally {
    await scratch.drop();
  }
});

Deno.test("a form with errors re-renders with 422 and the message next to the field", async () => {
  await using p = await startPlatform();
  const fields = { ...pgFields("postgres://h:5432/db"), "config.port": "abc" };
  const response = await post(p, "/connectors/new", fields);
  const html = await response.text();
  assert.equal(response.status, 422);
  assert.match(html, /data-error-for="config.port"/);
  assert.match(
    html,
    /<input name="config.port"[^>]*aria-invalid[^>]*value="abc"/,
  );
  assert.ok(!html.includes(PASSWORD), "the typed password is not echoed");
  const list = await (await p.fetch("/api/v1/connectors")).json();
  assert.equal(list.length, 2);
});

Deno.test("editing through the form keeps an untouched password; Delete removes the connector", async () => {
  await using p = await startPlatform();
  const scratch = await createScratchDatabase("etl_conn_ui");
  try {
    const sql = postgres(scratch.url, { max: 1, onnotice: () => {} });
    await sql`create table items (id int, label text)`;
    await sql`insert into items values (1, 'first'), (2, 'second')`;
    await sql.end();
    const created = await post(p, "/connectors/new", pgFields(scratch.url));
    const location = created.headers.get("location")!;
    const id = Number(location.split("/").pop());

    const edit: Record<string, string> = {
      ...pgFields(scratch.url),
      name: "renamed",
      "config.password": "",
    };
    const saved = await post(p, location, edit);
    assert.equal(saved.status, 303);
    assert.equal(saved.headers.get("location"), `${location}?saved`);
    assert.deepEqual(
      await loadConnectorSecrets(p.services.db, p.services.box, id),
      { password: PASSWORD },
    );

    const schema = await (await p.fetch(`${location}/schema`)).text();
    assert.match(schema, /data-table="items"/);
    const preview = await p.fetch(`${location}/preview?table=items&limit=1`);
    const previewHtml = await preview.text();
    assert.equal(preview.status, 200);
    assert.match(previewHtml, /<td>first<\/td>/);
    assert.doesNotMatch(previewHtml, /second/);

    const deleted = await post(p, location, { _action: "delete" });
    assert.equal(deleted.headers.get("location"), "/connectors");
    assert.equal((await p.fetch(location)).status, 404);
  } finally {
    await scratch.drop();
  }
});

Deno.test("a built-in connector's page has no edit or delete, and posts to change it get 409", async () => {
  await using p = await startPlatform();
  const list = await (await p.fetch("/api/v1/connectors")).json();
  const warehouse = list.find((c: { name: string }) => c.name === "warehouse");
  const html = await (await p.fetch(`/connectors/${warehouse.id}`)).text();
  assert.match(html, /id="test-connection"/);
  assert.doesNotMatch(html, /id="connector-form"|id="delete-connector"/);
  const del = await post(p, `/connectors/${warehouse.id}`, {
    _action: "delete",
  });
  assert.equal(del.status, 409);
  assert.match(await del.text(), /built in/);
  assert.equal((await p.fetch("/connectors/424242")).status, 404);
});
