// Configuration of a MySQL or MariaDB source or target: one schema for the
// API, the YAML loader and the forms. `password` is secret: stored encrypted.

import { z } from "zod";

/** Configuration of a MySQL / MariaDB connection. */
export const mysqlConfigSchema = z.object({
  host: z.string().min(1).default("127.0.0.1").describe(
    "Host name or IP address of the MySQL or MariaDB server",
  ),
  port: z.coerce.number().int().min(1).max(65535).default(3306).describe(
    "TCP port of the server",
  ),
  database: z.string().min(1).describe(
    "Database (schema) whose tables are discovered, read and written",
  ),
  user: z.string().min(1).describe("User to connect as"),
  password: z.string().optional().meta({ secret: true }).describe(
    "Password of the user; stored encrypted and never shown again",
  ),
  ssl: z.enum(["disable", "require", "verify-full"]).default("disable")
    .describe(
      "TLS: disable, require (encrypted, certificate not checked) or verify-full (certificate and host name checked)",
    ),
});

/** A validated MySQL / MariaDB configuration. */
export type MysqlConfig = z.infer<typeof mysqlConfigSchema>;
