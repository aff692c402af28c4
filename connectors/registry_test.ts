import assert from "node:assert/strict";
import { z } from "zod";
import { testDb } from "../lib/db/test_db.ts";
import { CsvConnector } from "./csv/csv_connector.ts";
import { PostgresConnector } from "./postgres/postgres_connector.ts";
import {
  connectorKind,
  connectorKinds,
  openConnector,
  secretFieldsOf,
} from "./registry.ts";

Deno.test("secretFieldsOf() finds fields marked secret, also under optional and default", () => {
  const schema = z.object({
    user: z.string(),
    password: z.string().optional().meta({ secret: true }).describe("pw"),
    token: z.string().meta({ secret: true }).default("x"),
    apiKey: z.string().meta({ secret: true }).optional(),
  });
  assert.deepEqual(secretFieldsOf(schema), ["password", "token", "apiKey"]);
});

Deno.test("connectorKinds lists every kind with its abilities and secrets", () => {
  for (const kind of ["postgres", "warehouse", "csv", "mysql", "rest", "s3"]) {
    assert.ok(Object.hasOwn(connectorKinds, kind), `missing kind ${kind}`);
  }
  assert.deepEqual(connectorKinds.postgres.secretFields, ["password"]);
  assert.deepEqual(connectorKinds.csv.secretFields, []);
  assert.equal(connectorKinds.csv.canWrite, false);
  assert.equal(connectorKinds.warehouse.canWrite, true);
  assert.equal(connectorKinds.postgres.label, "PostgreSQL");
});

Deno.test("connectorKind() lists the known kinds when the name is unknown", () => {
  assert.throws(() => connectorKind("ftp"), {
    message: `Unknown connector kind "ftp": expected one of ${
      Object.keys(connectorKinds).join(", ")
    }`,
  });
  assert.throws(() => connectorKind("toString"), /Unknown connector kind/);
});

Deno.test("openConnector() opens each kind with its dependencies", async () => {
  await using t = await testDb();
  const deps = { db: t.db, fileRoots: ["/tmp"] };
  const warehouse = openConnector("warehouse", {}, deps);
  assert.ok(warehouse instanceof PostgresConnector);
  assert.equal((await warehouse.check()).ok, true);
  await warehouse.close();
  const csv = openConnector("csv", { path: "a.csv" }, deps);
  assert.ok(csv instanceof CsvConnector);
  const pg = openConnector("postgres", {
    database: "postgres",
    user: "postgres",
  }, deps);
  assert.ok(pg instanceof PostgresConnector);
  await pg.close();
  assert.throws(
    () => openConnector("ftp", {}, deps),
    /Unknown connector kind "ftp"/,
  );
});

Deno.test("openConnector() validates the configuration", async () => {
  await using t = await testDb();
  assert.throws(
    () => openConnector("postgres", { user: "x" }, { db: t.db, fileRoots: [] }),
    (error: Error) =>
      error.name === "ZodError" && /database/.test(error.message),
  );
});
