// What the engine needs from the rest of the platform, as one object so that
// tests and the worker process wire it the same way.

import type { Db } from "../db/db.ts";
import type { Connector } from "../../connectors/types.ts";
import type { SandboxPool } from "../sandbox/sandbox_pool.ts";

/** Which TaskRun opens a connector: the secret.use audit event names it. */
export interface ConnectorUse {
  runId: number;
  taskRunId: number;
  /** The step's id in the pipeline. */
  step: string;
}

/** Dependencies of the TaskRun executor. */
export interface EngineDeps {
  db: Db;
  /** Staged datasets live under `<dataDir>/datasets` unless `datasetRoot`. */
  dataDir: string;
  /**
   * Where runs stage their datasets instead: a dataset store URI such as
   * `s3://bucket/prefix` (ETL_DATASET_STORE), its store registered.
   */
  datasetRoot?: string;
  /**
   * Opens the connector named `name` with the step's `config` laid over the
   * connector's own (secrets decrypted here, never stored with the step).
   * With `use`, decrypting the connector's secrets is recorded in the audit
   * log as a `secret.use` by that run.
   */
  openConnector(
    name: string,
    stepConfig: Record<string, unknown>,
    use?: ConnectorUse,
  ): Promise<Connector>;
  /** Removes secrets from text before it is stored or shown. */
  redact(text: string): string;
  /** Warm sandbox hosts for transform steps (none: each starts cold). */
  sandboxes?: SandboxPool;
}
