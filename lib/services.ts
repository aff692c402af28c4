// Everything a process of the platform shares — database, secrets, engine
// wiring — opened once at start and handed to routes through ctx.state.

import { resolve } from "node:path";
import type { Config } from "./config.ts";
import type { Db } from "./db/db.ts";
import { openDb } from "./db/open_db.ts";
import { SecretBox } from "./secrets/secret_box.ts";
import { loadKeyring } from "./secrets/secret_key.ts";
import { redactSecrets } from "./secrets/redact.ts";
import {
  ensureWarehouseConnector,
  resolveConnectorConfig,
} from "./connector/connector_store.ts";
import { connectorKinds, openConnector } from "../connectors/registry.ts";
import type { EngineDeps } from "./engine/engine_deps.ts";
import { openWarehouseAccess } from "./warehouse/warehouse_role.ts";
import type { WarehouseUserSql } from "../connectors/postgres/postgres_connector.ts";
import { RunEventHub } from "./engine/run_events.ts";
import { registerDatasetStore } from "./dataset/dataset_store.ts";
import {
  openS3DatasetStore,
  type S3DatasetStore,
} from "./dataset/s3_dataset_store.ts";
import { movedDestination } from "./connector/credential_destination.ts";
import { recordAudit } from "./audit/audit_log.ts";
import {
  SandboxPool,
  sandboxPoolOptionsFromEnv,
} from "./sandbox/sandbox_pool.ts";

/** The built-in CSV connector reading uploads and the allowed server directories. */
export const FILES_CONNECTOR = "files";

/** Shared services of one process. */
export interface Services {
  config: Config;
  db: Db;
  dbLocation: string;
  /** Seals and opens credentials; `box.keyring` is swapped in place by key rotation. */
  box: SecretBox;
  /** Where uploaded files are stored (always an allowed file root). */
  uploadsDir: string;
  /** Directories CSV sources may read. */
  fileRoots: string[];
  /** How user-written SQL on the local warehouse is isolated. */
  warehouseUserSql?: WarehouseUserSql;
  engine: EngineDeps;
  runEvents: RunEventHub;
  /** Where runs stage datasets when ETL_DATASET_STORE is set. */
  datasetStore?: S3DatasetStore;
  close(): Promise<void>;
}

/** Options for {@linkcode openServices}. */
export interface OpenServicesOptions {
  /** Use this database instead of opening one from the config (tests). */
  db?: Db;
  /** The URL of `db` on the PostgreSQL backend (tests). */
  databaseUrl?: string;
}

/** Opens the database and wires the services for `config`. */
export async function openServices(
  config: Config,
  options: OpenServicesOptions = {},
): Promise<Services> {
  const opened = options.db
    ? { db: options.db, location: "test database", close: async () => {} }
    : await openDb({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
    });
  const { db } = opened;
  try {
    const dataDir = resolve(config.dataDir);
    const uploadsDir = `${dataDir}/uploads`;
    await Deno.mkdir(uploadsDir, { recursive: true });
    const fileRoots = [
      uploadsDir,
      ...config.fileRoots.map((root) => resolve(root)),
    ];
    const box = new SecretBox(
      await loadKeyring({ secretKey: config.secretKey, dataDir }),
    );
    await ensureWarehouseConnector(db);
    await ensureFilesConnector(db);
    const warehouse = await openWarehouseAccess(
      db,
      box,
      options.db ? options.databaseUrl : config.databaseUrl,
    );
    const warehouseUserSql = warehouse.userSql;
    const secrets = new Set<string>();
    const datasetStore = config.datasetStore
      ? openS3DatasetStore(config.datasetStore)
      : undefined;
    if (datasetStore) registerDatasetStore("s3", datasetStore);
    const engine: EngineDeps = {
      db,
      dataDir,
      datasetRoot: datasetStore?.root,
      async openConnector(name, stepConfig, use) {
        const connector = await resolveConnectorConfig(db, box, name);
        const kind = connectorKinds[connector.kind];
        let decrypted = false;
        for (const field of kind?.secretFields ?? []) {
          const value = connector.config[field];
          if (typeof value === "string" && value) {
            secrets.add(value);
            decrypted = true;
          }
        }
        if (decrypted && use) {
          await recordAudit(db, {
            actor: { id: null, label: `run ${use.runId}` },
            action: "secret.use",
            target: {
              type: "connector",
              id: connector.id,
              name: connector.name,
            },
            detail: { runId: use.runId, step: use.step },
          });
        }
        const merged = { ...connector.config, ...stepConfig };
        const moved = decrypted
          ? movedDestination(connector.kind, connector.config, merged)
          : [];
        if (moved.length > 0) {
          throw new Error(
            `Cannot use connector "${name}": the step changes ${
              moved.map((key) => `"${key}"`).join(", ")
            }, which would send the connector's credentials elsewhere; change the connector itself`,
          );
        }
        return openConnector(connector.kind, merged, {
          db,
          fileRoots,
          warehouseUserSql,
        });
      },
      redact: (text) => redactSecrets(text, secrets),
      sandboxes: new SandboxPool(sandboxPoolOptionsFromEnv()),
    };
    const runEvents = new RunEventHub(db);
    return {
      config,
      db,
      dbLocation: opened.location,
      box,
      uploadsDir,
      fileRoots,
      warehouseUserSql,
      engine,
      runEvents,
      datasetStore,
      async close() {
        await runEvents.close();
        await engine.sandboxes?.close();
        datasetStore?.close();
        await warehouse.close();
        await opened.close();
      },
    };
  } catch (error) {
    await opened.close();
    throw error;
  }
}

async function ensureFilesConnector(db: Db): Promise<void> {
  await db.query(
    `insert into connector (name, kind, config, builtin)
     values ($1, 'csv', '{}'::jsonb, true) on conflict (name) do nothing`,
    [FILES_CONNECTOR],
  );
}
