// Pipelines in the metadata database: every save is a new immutable version
// with its steps; runs point at the version they ran.

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

/**
 * Creates the pipeline, or adds a version to the one with the same name.
 * Returns its id and new version number.
 */
export async function savePipeline(
  db: Db,
  definition: PipelineDefinition,
  options: { message?: string } = {},
): Promise<{ id: number; version: number }> {
  return await db.transaction(async (tx) => {
    const connectorIds = await resolveConnectors(tx, definition);
    const [pipeline] = await tx.query<{ id: number; current_version: number }>(
      `insert into pipeline (name, description) values ($1, $2)
       on conflict (name) do update set description = excluded.description,
         current_version = pipeline.current_version + 1, updated_at = now()
       returning id, current_version`,
      [definition.name, definition.description],
    );
    const [version] = await tx.query<{ id: number }>(
      `insert into pipeline_version (pipeline_id, version, definition, message)
       values ($1, $2, $3::text::jsonb, $4) returning id`,
      [
        pipeline.id,
        pipeline.current_version,
        JSON.stringify(definition),
        options.message ?? "",
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
): Promise<(number | null)[]> {
  const ids: (number | null)[] = [];
  for (const [index, step] of definition.steps.entries()) {
    const [row] = await tx.query<{ id: number }>(
      "select id from connector where name = $1",
      [step.connector],
    );
    if (!row) throw new UnknownConnectorError(index, step.connector);
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
