import assert from "node:assert/strict";
import { testDb } from "../db/test_db.ts";
import { pipelineSchema } from "../pipeline/pipeline_schema.ts";
import { savePipeline } from "../pipeline/pipeline_store.ts";
import { SecretBox, toBase64 } from "../secrets/secret_box.ts";
import {
  ConnectorConfigError,
  ConnectorInUseError,
  ConnectorNotFoundError,
  createConnector,
  deleteConnector,
  ensureWarehouseConnector,
  getConnector,
  listConnectors,
  loadConnectorSecrets,
  resolveConnectorConfig,
  updateConnector,
} from "./connector_store.ts";

const PASSWORD = "pg-Pässw0rd-7781";
const SHOP = {
  name: "shop",
  kind: "postgres",
  config: {
    host: "db.example",
    database: "shop",
    user: "etl",
    password: PASSWORD,
  },
};

function newBox(): Promise<SecretBox> {
  return SecretBox.fromKey(
    toBase64(crypto.getRandomValues(new Uint8Array(32))),
  );
}

Deno.test("createConnector() stores the password only as ciphertext", async () => {
  await using t = await testDb();
  const box = await newBox();
  const view = await createConnector(t.db, box, SHOP);
  assert.deepEqual(view.config, {
    host: "db.example",
    port: 5432,
    database: "shop",
    user: "etl",
    password: { set: true },
    ssl: "disable",
    schema: "public",
  });
  const [row] = await t.db.query<{ config: unknown }>(
    "select config from connector where id = $1",
    [view.id],
  );
  assert.ok(!JSON.stringify(row.config).includes(PASSWORD));
  assert.ok(!("password" in (row.config as object)));
  const credentials = await t.db.query<
    { field: string; key_id: string; wrapped_key: string; ciphertext: string }
  >(
    "select field, key_id, wrapped_key, ciphertext from credential where connector_id = $1",
    [view.id],
  );
  assert.equal(credentials.length, 1);
  assert.equal(credentials[0].field, "password");
  assert.equal(credentials[0].key_id, box.keyId);
  // Envelope: the secret's own data key, wrapped by the master key.
  assert.equal(atob(credentials[0].wrapped_key).length, 12 + 32 + 16);
  assert.ok(!credentials[0].ciphertext.includes(PASSWORD));
  assert.ok(!atob(credentials[0].ciphertext).includes("Pässw0rd"));
});

Deno.test("listConnectors() and getConnector() never include the secret", async () => {
  await using t = await testDb();
  const box = await newBox();
  const created = await createConnector(t.db, box, SHOP);
  const views = [
    await listConnectors(t.db),
    await getConnector(t.db, created.id),
    await getConnector(t.db, "shop"),
  ];
  for (const view of views) assert.ok(!JSON.stringify(view).includes(PASSWORD));
  assert.deepEqual((await getConnector(t.db, "shop")).config.password, {
    set: true,
  });
});

Deno.test("resolveConnectorConfig() returns the full config with the decrypted password", async () => {
  await using t = await testDb();
  const box = await newBox();
  const { id } = await createConnector(t.db, box, SHOP);
  const resolved = await resolveConnectorConfig(t.db, box, "shop");
  assert.equal(resolved.id, id);
  assert.equal(resolved.kind, "postgres");
  assert.equal(resolved.config.password, PASSWORD);
  assert.equal(resolved.config.host, "db.example");
  assert.deepEqual(await loadConnectorSecrets(t.db, box, id), {
    password: PASSWORD,
  });
});

Deno.test("resolveConnectorConfig() names the connector and the missing key when the key changed", async () => {
  await using t = await testDb();
  const box = await newBox();
  await createConnector(t.db, box, SHOP);
  const other = await newBox();
  await assert.rejects(
    resolveConnectorConfig(t.db, other, "shop"),
    (error: Error) => {
      assert.equal(
        error.message,
        `Cannot decrypt credential of connector "shop": it was sealed with key ${box.keyId}, which is not in the keyring`,
      );
      assert.ok(!error.message.includes(PASSWORD));
      return true;
    },
  );
});

Deno.test("updateConnector() without a password keeps the stored one", async () => {
  await using t = await testDb();
  const box = await newBox();
  const { id } = await createConnector(t.db, box, SHOP);
  const { password: _, ...rest } = SHOP.config;
  const omitted = await updateConnector(t.db, box, id, {
    config: { ...rest, database: "shop2" },
  });
  assert.equal(omitted.config.database, "shop2");
  assert.deepEqual(omitted.config.password, { set: true });
  await updateConnector(t.db, box, id, {
    config: { ...rest, database: "shop2", password: "" },
  });
  await updateConnector(t.db, box, id, {
    config: { ...rest, database: "shop2", password: { set: true } },
  });
  const resolved = await resolveConnectorConfig(t.db, box, id);
  assert.equal(resolved.config.password, PASSWORD);
  assert.equal(resolved.config.database, "shop2");
});

Deno.test("updateConnector() that moves the connector to another server needs the password again", async () => {
  await using t = await testDb();
  const box = await newBox();
  const { id } = await createConnector(t.db, box, SHOP);
  const { password: _, ...rest } = SHOP.config;
  for (
    const moved of [{ port: 6543 }, { host: "evil.example" }, { user: "x" }]
  ) {
    await assert.rejects(
      updateConnector(t.db, box, id, { config: { ...rest, ...moved } }),
      (error) => {
        assert.ok(error instanceof ConnectorConfigError);
        assert.deepEqual(error.issues.map((i) => i.path.join(".")), [
          "config.password",
        ]);
        return true;
      },
    );
  }
  const resolved = await resolveConnectorConfig(t.db, box, id);
  assert.equal(resolved.config.host, SHOP.config.host);
  assert.equal(resolved.config.user, SHOP.config.user);
  const reentered = await updateConnector(t.db, box, id, {
    config: { ...rest, port: 6543, password: "new-Secret-1" },
  });
  assert.equal(reentered.config.port, 6543);
});

Deno.test("updateConnector() replaces a new password and clears it with null", async () => {
  await using t = await testDb();
  const box = await newBox();
  const { id } = await createConnector(t.db, box, SHOP);
  await updateConnector(t.db, box, id, {
    config: { ...SHOP.config, password: "new-secret" },
  });
  assert.equal(
    (await resolveConnectorConfig(t.db, box, id)).config.password,
    "new-secret",
  );
  const cleared = await updateConnector(t.db, box, id, {
    config: { ...SHOP.config, password: null },
  });
  assert.equal("password" in cleared.config, false);
  assert.deepEqual(await loadConnectorSecrets(t.db, box, id), {});
});

Deno.test("createConnector() turns an invalid config into field paths", async () => {
  await using t = await testDb();
  const box = await newBox();
  await assert.rejects(
    createConnector(t.db, box, {
      name: "bad",
      kind: "postgres",
      config: { port: 70000, user: "x", password: PASSWORD },
    }),
    (error) => {
      assert.ok(error instanceof ConnectorConfigError);
      assert.deepEqual(error.issues.map((i) => i.path).sort(), [
        ["config", "database"],
        ["config", "port"],
      ]);
      assert.match(error.message, /^Cannot create connector "bad": /);
      assert.ok(!error.message.includes(PASSWORD));
      return true;
    },
  );
  assert.deepEqual(await listConnectors(t.db), []);
});

Deno.test("createConnector() refuses a taken name, a bad name and an unknown kind", async () => {
  await using t = await testDb();
  const box = await newBox();
  await createConnector(t.db, box, SHOP);
  await assert.rejects(createConnector(t.db, box, SHOP), (error) => {
    assert.ok(error instanceof ConnectorConfigError);
    assert.equal(
      error.message,
      'Cannot create connector "shop": a connector with this name already exists',
    );
    assert.deepEqual(error.issues[0].path, ["name"]);
    return true;
  });
  await assert.rejects(
    createConnector(t.db, box, { ...SHOP, name: "Shop DB" }),
    (error) =>
      error instanceof ConnectorConfigError &&
      error.issues[0].path[0] === "name",
  );
  await assert.rejects(
    createConnector(t.db, box, { ...SHOP, name: "x", kind: "ftp" }),
    /kind: Unknown kind, expected one of postgres, warehouse, csv/,
  );
});

Deno.test("deleteConnector() removes the connector and its credentials", async () => {
  await using t = await testDb();
  const box = await newBox();
  const { id } = await createConnector(t.db, box, SHOP);
  await deleteConnector(t.db, id);
  await assert.rejects(getConnector(t.db, id), ConnectorNotFoundError);
  const [row] = await t.db.query<{ n: number }>(
    "select count(*)::int as n from credential",
  );
  assert.equal(row.n, 0);
});

Deno.test("ensureWarehouseConnector() creates the built-in warehouse once", async () => {
  await using t = await testDb();
  const first = await ensureWarehouseConnector(t.db);
  const second = await ensureWarehouseConnector(t.db);
  assert.equal(first.id, second.id);
  assert.equal(first.kind, "warehouse");
  assert.equal(first.builtin, true);
  const schemas = await t.db.query(
    "select 1 from information_schema.schemata where schema_name = 'warehouse'",
  );
  assert.equal(schemas.length, 1);
  assert.equal((await listConnectors(t.db)).length, 1);
  await assert.rejects(deleteConnector(t.db, "warehouse"), /it is built in/);
});

Deno.test("deleteConnector() refuses a connector that a pipeline uses, naming it", async () => {
  await using t = await testDb();
  const box = await newBox();
  const { id } = await createConnector(t.db, box, SHOP);
  await ensureWarehouseConnector(t.db);
  await savePipeline(
    t.db,
    pipelineSchema.parse({
      name: "uses_shop",
      steps: [
        { id: "read", type: "extract", connector: "shop", config: {} },
        {
          id: "load",
          type: "load",
          needs: ["read"],
          connector: "warehouse",
          config: { table: "t" },
        },
      ],
    }),
  );
  await assert.rejects(
    deleteConnector(t.db, id),
    (error) =>
      error instanceof ConnectorInUseError &&
      /Cannot delete connector "shop": pipeline "uses_shop" use it/.test(
        error.message,
      ),
  );
  assert.equal((await getConnector(t.db, id)).name, "shop");
});
