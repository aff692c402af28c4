// Settings come from the environment only (DESIGN.md "Contracts"), read once.

import { z } from "zod";
import type { S3DatasetStoreSettings } from "./dataset/s3_dataset_store.ts";
import { datasetStoreSettings } from "./dataset/dataset_store_settings.ts";

const roleSchema = z.enum(["all", "web", "worker", "scheduler"]);

/** What one process does; `all` (the default) runs every role. */
export type ProcessRole = z.infer<typeof roleSchema>;

/** The platform's settings. */
export interface Config {
  port: number;
  hostname: string;
  /** Unset: the embedded PGlite database under `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  /** Base64 AES-256 key; unset in embedded mode: generated into `dataDir`. */
  secretKey?: string;
  role: ProcessRole;
  /** Directories whose files CSV sources may read, besides uploads. */
  fileRoots: string[];
  /**
   * Behind a reverse proxy: believe its X-Forwarded-For (client address for
   * throttling and the audit log) and X-Forwarded-Proto (Secure cookies).
   */
  trustProxy: boolean;
  /**
   * The scheduler ticks every this many seconds (a timer) instead of once a
   * minute (Deno.cron): for cron expressions with a seconds field.
   */
  schedulerTickSeconds?: number;
  /** Where runs stage datasets when not under `dataDir` (ETL_DATASET_STORE). */
  datasetStore?: S3DatasetStoreSettings;
}

/** Reads the configuration; a bad value fails loudly with the fix. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const port = Number(env.PORT ?? "8000");
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(
      `Cannot start: PORT "${env.PORT}" is not a port number, set it to e.g. 8000`,
    );
  }
  const role = roleSchema.safeParse(env.ETL_ROLE ?? "all");
  if (!role.success) {
    throw new Error(
      `Cannot start: ETL_ROLE "${env.ETL_ROLE}" is not one of all, web, worker, scheduler`,
    );
  }
  const tick = env.ETL_SCHEDULER_TICK_SECONDS
    ? Number(env.ETL_SCHEDULER_TICK_SECONDS)
    : undefined;
  if (tick !== undefined && !(Number.isInteger(tick) && tick >= 1)) {
    throw new Error(
      `Cannot start: ETL_SCHEDULER_TICK_SECONDS "${env.ETL_SCHEDULER_TICK_SECONDS}" is not a whole number of seconds, set it to e.g. 10 or unset it`,
    );
  }
  const dataDir = env.ETL_DATA_DIR || "./.data";
  return {
    port,
    hostname: env.HOST || "0.0.0.0",
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir,
    secretKey: env.ETL_SECRET_KEY || undefined,
    role: role.data,
    fileRoots: (env.ETL_FILE_ROOTS ?? "").split(":").filter(Boolean),
    trustProxy: ["1", "true", "yes"].includes(
      (env.ETL_TRUST_PROXY ?? "").toLowerCase(),
    ),
    schedulerTickSeconds: tick,
    datasetStore: datasetStoreSettings(env),
  };
}
