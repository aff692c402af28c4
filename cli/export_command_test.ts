// `deno task etl export` then `apply`: pipelines round-trip through files,
// on the same server (nothing changes) and on a fresh one (the same
// pipelines appear).

import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "yaml";
import { runEtl } from "./test_cli.ts";
import { type Platform, startPlatform } from "../tests/harness.ts";

const PIPELINES = [
  {
    name: "orders",
    description: "Orders into the warehouse",
    schedule: {
      cron: "0 2 * * *",
      timezone: "Europe/Paris",
      catchup: "latest",
    },
    params: {
      region: { type: "enum", values: ["eu", "us"], default: "eu" },
      day: { type: "date", default: "{{ run.scheduled_date }}" },
    },
    steps: [
      {
        id: "read",
        type: "extract",
        connector: "files",
        config: { path: "orders_{{ params.region }}_{{ params.day }}.csv" },
        cursor: { field: "updated_at" },
      },
      {
        id: "load",
        type: "load",
        needs: ["read"],
        connector: "warehouse",
        config: { table: "orders", mode: "merge", keys: ["id"] },
        retries: 2,
      },
    ],
  },
  {
    name: "customers",
    steps: [
      {
        id: "read",
        type: "extract",
        connector: "files",
        config: { path: "customers.csv", delimiter: ";" },
      },
      {
        id: "load",
        type: "load",
        needs: ["read"],
        connector: "warehouse",
        config: { table: "customers", mode: "replace" },
      },
    ],
  },
];

async function create(p: Platform, definition: unknown) {
  const response = await p.fetch("/api/v1/pipelines", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(definition),
  });
  assert.equal(response.status, 201, await response.clone().text());
  await response.body?.cancel();
}

/** name → current definition, as the server holds them. */
async function definitions(p: Platform): Promise<Record<string, unknown>> {
  const list = await (await p.fetch("/api/v1/pipelines")).json() as {
    id: number;
    name: string;
  }[];
  const out: Record<string, unknown> = {};
  for (const { id, name } of list) {
    const one = await (await p.fetch(`/api/v1/pipelines/${id}`)).json();
    out[name] = one.definition;
  }
  return out;
}

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "etl_export_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("etl export writes one file per pipeline; apply on the same server leaves all unchanged, on a fresh one recreates them", async () => {
  await using source = await startPlatform();
  const sourceUrl = await source.listen();
  for (const definition of PIPELINES) await create(source, definition);
  await withDir(async (parent) => {
    const dir = join(parent, "pipelines", "prod");
    const exported = await runEtl(["export", dir, "--server", sourceUrl], {
      ETL_TOKEN: source.admin.token,
    });
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal(
      exported.stdout,
      `wrote ${join(dir, "customers.yaml")}\nwrote ${
        join(dir, "orders.yaml")
      }\nExported 2 pipelines to ${dir}\n`,
    );
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["customers.yaml", "orders.yaml"]);
    const orders = parse(await Deno.readTextFile(join(dir, "orders.yaml")));
    assert.equal(orders.name, "orders");
    assert.equal(orders.steps[1].config.mode, "merge");
    assert.equal(orders.schedule.timezone, "Europe/Paris");
    assert.deepEqual(orders.params.region.values, ["eu", "us"]);
    // No connector credentials in the files: connectors go by name.
    assert.equal(orders.steps[0].connector, "files");

    const same = await runEtl(["apply", dir, "--server", sourceUrl], {
      ETL_TOKEN: source.admin.token,
    });
    assert.equal(same.code, 0, same.stderr);
    assert.equal(
      same.stdout,
      "= unchanged customers\n= unchanged orders\n" +
        "Applied 2 files: 0 created, 0 updated, 2 unchanged\n",
    );

    await using fresh = await startPlatform();
    const freshUrl = await fresh.listen();
    const recreated = await runEtl(["apply", dir], {
      ETL_TOKEN: fresh.admin.token,
      ETL_SERVER: freshUrl,
    });
    assert.equal(recreated.code, 0, recreated.stderr);
    assert.equal(
      recreated.stdout,
      "+ create customers\n+ create orders\n" +
        "Applied 2 files: 2 created, 0 updated, 0 unchanged\n",
    );
    assert.deepEqual(await definitions(fresh), await definitions(source));
  });
});

Deno.test("etl export --format json round-trips too; usage errors exit 2", async () => {
  await using p = await startPlatform();
  const url = await p.listen();
  for (const definition of PIPELINES) await create(p, definition);
  const env = { ETL_TOKEN: p.admin.token, ETL_SERVER: url };
  await withDir(async (dir) => {
    const exported = await runEtl(["export", dir, "--format", "json"], env);
    assert.equal(exported.code, 0, exported.stderr);
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(names, ["customers.json", "orders.json"]);
    const customers = JSON.parse(
      await Deno.readTextFile(join(dir, "customers.json")),
    );
    assert.equal(customers.steps[0].config.delimiter, ";");

    const again = await runEtl(["apply", dir], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /2 unchanged\n$/);

    const badFormat = await runEtl(["export", dir, "--format", "xml"], env);
    assert.equal(badFormat.code, 2);
    assert.match(
      badFormat.stderr,
      /Unknown --format "xml", expected yaml or json/,
    );
    const noDir = await runEtl(["export"], env);
    assert.equal(noDir.code, 2);
    assert.match(noDir.stderr, /Name the folder to export into/);
    const noToken = await runEtl(["export", dir], { ETL_SERVER: url });
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /set ETL_TOKEN/);
  });
});

Deno.test("etl export as a viewer exports what the viewer may read", async () => {
  await using p = await startPlatform();
  const url = await p.listen();
  await create(p, PIPELINES[0]);
  const viewer = await p.createUser("viewer");
  await withDir(async (dir) => {
    const result = await runEtl(["export", dir], {
      ETL_TOKEN: viewer.token,
      ETL_SERVER: url,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Exported 1 pipeline to /);
  });
});
