// Configuration of a PostgreSQL source or target: one schema for the API, the
// YAML loader and the forms. `password` is secret: stored encrypted, write-only.

import { z } from "zod";

/** Configuration of a PostgreSQL connection. */
export const postgresConfigSchema = z.object({
  host: z.string().min(1).default("127.0.0.1").describe(
    "Host name or IP address of the PostgreSQL server",
  ),
  port: z.coerce.number().int().min(1).max(65535).default(5432).describe(
    "TCP port of the server",
  ),
  database: z.string().min(1).describe("Name of the database to connect to"),
  user: z.string().min(1).describe("Role to connect as"),
  password: z.string().optional().meta({ secret: true }).describe(
    "Password of the role; stored encrypted and never shown again",
  ),
  ssl: z.enum(["disable", "require", "verify-full"]).default("disable")
    .describe(
      "TLS: disable, require (encrypted, certificate not checked) or verify-full (certificate and host name checked)",
    ),
  schema: z.string().min(1).default("public").describe(
    "Schema whose tables are discovered, read and written",
  ),
});

/** A validated PostgreSQL configuration. */
export type PostgresConfig = z.infer<typeof postgresConfigSchema>;

/** Configuration of the built-in local warehouse: nothing to set. */
export const warehouseConfigSchema = z.object({});
