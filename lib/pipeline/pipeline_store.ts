// Pipelines in the metadata database: every save is a new immutable version
// with its steps; runs point at the version they ran.

import type { Principal } from "../auth/principal.ts";
import { can } from "../rbac/permissions.ts";
import { loadOwnership } from "../rbac/ownership.ts";
import type { Db, Queryable } from "../db/db.ts";
import type { PipelineDefinition } from "./pipeline_schema.ts";

/** A pipeline row with its current definition. */
export interface PipelineRecord {
  id: number;
  name: string;
  description: string;
  current_version: number;
  version_id: number;
  definition: PipelineDefinition;
  updated_at: Date;
}

/** Thrown when a definition names a connector that does not exist. */
export class UnknownConnectorError extends Error {
  constructor(readonly stepIndex: number, readonly connector: string) {
    super(`step ${stepIndex + 1} uses unknown connector "${connector}"`);
    this.name = "UnknownConnectorError";
  }
}

/** Options of {@linkcode savePipeline}. */
export interface SavePipelineOptions {
  message?: string;
  /** Who saves: owns a new pipeline; must may edit an existing one. */
  author?: Principal | null;
}

/** Raised when a step names a connector the author may not use. */
export class ConnectorAccessError extends Error {
  constructor(readonly stepIndex: number, readonly connector: string) {
    super(
      `step ${
        stepIndex + 1
      } uses connector "${connector}", which you may not use (ask its owner to share it)`,
    );
    this.name = "ConnectorAccessError";
  }
}

/** Raised when saving under the name of a pipeline the author may not edit. */
export class PipelineAccessError extends Error {
  constructor(readonly pipelineName: string) {
    super(
      `Cannot save pipeline "${pipelineName}": it exists and you may not edit it`,
    );
    this.name = "PipelineAccessError";
  }
}

/**
 * Creates the pipeline, or adds a version to the one with the same name.
 * Returns its id and new version number.
 */
export async function savePipeline(
  db: Db,
  definition: PipelineDefinition,
  options: SavePipelineOptions = {},
): Promise<{ id: number; version: number }> {
  return await db.transaction(async (tx) => {
    const author = options.author ?? null;
    const connectorIds = await resolveConnectors(tx, definition, author);
    // Saving under an existing name edits that pipeline: only if allowed.
    const [existing] = await tx.query<{ id: number }>(
      `select id from pipeline where name = $1 for update`,
      [definition.name],
    );
    if (existing && author) {
      const ownership = await loadOwnership(tx, "pipeline", existing.id);
      if (!ownership || !can(author, "pipeline.edit", ownership)) {
        throw new PipelineAccessError(definition.name);
      }
    }
    const [pipeline] = await tx.query<{ id: number; current_version: number }>(
      `insert into pipeline (name, description, owner_id) values ($1, $2, $3)
       on conflict (name) do update set description = excluded.description,
         current_version = pipeline.current_version + 1, updated_at = now()
       returning id, current_version`,
      [definition.name, definition.description, author?.userId ?? null],
    );
    const [version] = await tx.query<{ id: number }>(
      `insert into pipeline_version
         (pipeline_id, version, definition, message, author_id)
       values ($1, $2, $3::text::jsonb, $4, $5) returning id`,
      [
        pipeline.id,
        pipeline.current_version,
        JSON.stringify(definition),
        options.message ?? "",
        author?.userId ?? null,
      ],
    );
    for (const [position, step] of definition.steps.entries()) {
      await tx.query(
        `insert into pipeline_step
           (pipeline_version_id, step_key, type, needs, connector_id, config, position)
         values ($1, $2, $3, $4::text[], $5, $6::text::jsonb, $7)`,
        [
          version.id,
          step.id,
          step.type,
          step.needs,
          connectorIds[position],
          JSON.stringify(step.config),
          position,
        ],
      );
    }
    return { id: pipeline.id, version: pipeline.current_version };
  });
}

async function resolveConnectors(
  tx: Queryable,
  definition: PipelineDefinition,
  author: Principal | null,
): Promise<(number | null)[]> {
  const ids: (number | null)[] = [];
  for (const [index, step] of definition.steps.entries()) {
    const [row] = await tx.query<{ id: number; builtin: boolean }>(
      "select id, builtin from connector where name = $1",
      [step.connector],
    );
    if (!row) throw new UnknownConnectorError(index, step.connector);
    // A pipeline uses its connectors' credentials whenever it runs: its
    // author must be allowed to use them (built-ins are everyone's).
    if (author && !row.builtin) {
      const ownership = await loadOwnership(tx, "connector", row.id);
      if (!ownership || !can(author, "connector.use", ownership)) {
        throw new ConnectorAccessError(index, step.connector);
      }
    }
    ids.push(row.id);
  }
  return ids;
}

const SELECT_PIPELINE = `
  select p.id, p.name, p.description, p.current_version, p.updated_at,
         v.id as version_id, v.definition
  from pipeline p
  join pipeline_version v on v.pipeline_id = p.id and v.version = p.current_version`;

/** One pipeline by id or name, or undefined. */
export async function getPipeline(
  db: Queryable,
  idOrName: number | string,
): Promise<PipelineRecord | undefined> {
  const byId = typeof idOrName === "number";
  const [row] = await db.query<PipelineRecord>(
    `${SELECT_PIPELINE} where ${byId ? "p.id = $1" : "p.name = $1"}`,
    [idOrName],
  );
  return row;
}

/** All pipelines, most recently changed first. */
export async function listPipelines(db: Queryable): Promise<PipelineRecord[]> {
  return await db.query<PipelineRecord>(
    `${SELECT_PIPELINE} order by p.updated_at desc, p.id desc`,
  );
}
