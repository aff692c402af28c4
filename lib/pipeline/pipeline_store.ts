// Pipelines in the metadata database: every save is a new immutable version
// with its steps; runs point at the version they ran.

import type { Principal } from "../auth/principal.ts";
import { can } from "../rbac/permissions.ts";
import { loadOwnership } from "../rbac/ownership.ts";
import type { Db, Queryable } from "../db/db.ts";
import { type PipelineDefinition, pipelineSchema } from "./pipeline_schema.ts";
import { syncSchedule } from "../scheduler/schedule_store.ts";

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
 * Thrown when a step's connector is of a kind the step cannot use (an sql
 * step on a REST API); reported like an unknown connector, at its line.
 */
export class ConnectorKindError extends UnknownConnectorError {
  constructor(stepIndex: number, connector: string, need: string) {
    super(stepIndex, connector);
    this.message = `step ${
      stepIndex + 1
    } uses connector "${connector}", which is not ${need}`;
    this.name = "ConnectorKindError";
  }
}

// The connector kinds a step type needs, and how to say so.
const KINDS_FOR: Record<string, { kinds: string[]; need: string }> = {
  sql: {
    kinds: ["postgres", "mysql", "warehouse"],
    need: "a SQL database (PostgreSQL, MySQL/MariaDB or warehouse)",
  },
  http: { kinds: ["rest"], need: "a REST API connector" },
};

/** What a save did (or, in a dry run, would do). */
export type SaveAction = "create" | "update" | "unchanged";

/** Options of {@linkcode savePipeline}. */
export interface SavePipelineOptions {
  message?: string;
  /** Who saves: owns a new pipeline; must may edit an existing one. */
  author?: Principal | null;
  /**
   * Save a version of this pipeline (the definition may rename it, but not
   * to the name of another pipeline): {@linkcode PipelineNameTakenError}.
   */
  id?: number;
  /** Refuse to add a version to an existing pipeline of the same name. */
  createOnly?: boolean;
  /** Check everything and report what would happen, writing nothing. */
  dryRun?: boolean;
}

/** The outcome of {@linkcode savePipeline}. */
export interface SavedPipeline {
  /** The pipeline's id (in a dry run that creates, an id never used). */
  id: number;
  name: string;
  /** The new version, or the current one when unchanged. */
  version: number;
  action: SaveAction;
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

/** Raised when a definition takes the name of another pipeline. */
export class PipelineNameTakenError extends Error {
  constructor(readonly pipelineName: string) {
    super(`a pipeline named "${pipelineName}" already exists`);
    this.name = "PipelineNameTakenError";
  }
}

/** Raised when the pipeline to save or delete does not exist. */
export class PipelineNotFoundError extends Error {
  constructor(readonly pipelineId: number) {
    super(`Pipeline "${pipelineId}" not found`);
    this.name = "PipelineNotFoundError";
  }
}

/** Raised when deleting a pipeline that has runs in progress. */
export class PipelineBusyError extends Error {
  constructor(readonly pipelineName: string, readonly runId: number) {
    super(
      `Cannot delete pipeline "${pipelineName}": run ${runId} has not finished; wait for it or cancel it`,
    );
    this.name = "PipelineBusyError";
  }
}

// Thrown inside the transaction of a dry run so that nothing is kept.
class DryRun {
  constructor(readonly result: SavedPipeline) {}
}

/**
 * Creates the pipeline, or adds a version to the one with the same name (or
 * to `options.id`). A definition equal to the current version's (defaults
 * filled, key order ignored) adds nothing: action "unchanged".
 */
export async function savePipeline(
  db: Db,
  definition: PipelineDefinition,
  options: SavePipelineOptions = {},
): Promise<SavedPipeline> {
  try {
    return await db.transaction(async (tx) => {
      const result = await saveIn(tx, definition, options);
      // A dry run goes all the way (constraints included), then rolls back.
      if (options.dryRun) throw new DryRun(result);
      return result;
    });
  } catch (error) {
    if (error instanceof DryRun) return error.result;
    throw error;
  }
}

async function saveIn(
  tx: Queryable,
  definition: PipelineDefinition,
  options: SavePipelineOptions,
): Promise<SavedPipeline> {
  const author = options.author ?? null;
  const [problem] = await connectorProblems(tx, definition.steps, author);
  if (problem) throw problem;
  const connectorIds = await tx.query<{ id: number }>(
    `select c.id from unnest($1::text[]) with ordinality as s(name, n)
     left join connector c on c.name = s.name order by s.n`,
    [definition.steps.map((step) => stepConnector(step) ?? null)],
  );
  const existing = await findTarget(tx, definition, options);
  // Saving under an existing name edits that pipeline: only if allowed.
  if (existing && author) {
    const ownership = await loadOwnership(tx, "pipeline", existing.id);
    if (!ownership || !can(author, "pipeline.edit", ownership)) {
      throw new PipelineAccessError(existing.name);
    }
  }
  if (existing && sameDefinition(existing.definition, definition)) {
    return {
      id: existing.id,
      name: existing.name,
      version: existing.current_version,
      action: "unchanged",
    };
  }
  const limit = definition.max_concurrent_runs ?? null;
  const [pipeline] = existing
    ? await tx.query<{ id: number; current_version: number }>(
      `update pipeline set name = $2, description = $3,
         current_version = current_version + 1, max_concurrent_runs = $4,
         updated_at = now()
       where id = $1 returning id, current_version`,
      [existing.id, definition.name, definition.description, limit],
    )
    : await tx.query<{ id: number; current_version: number }>(
      `insert into pipeline (name, description, owner_id, max_concurrent_runs)
       values ($1, $2, $3, $4)
       on conflict (name) do update set description = excluded.description,
         current_version = pipeline.current_version + 1,
         max_concurrent_runs = excluded.max_concurrent_runs, updated_at = now()
       returning id, current_version`,
      [definition.name, definition.description, author?.userId ?? null, limit],
    );
  await syncSchedule(tx, Number(pipeline.id), definition.schedule);
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
        connectorIds[position]?.id ?? null,
        JSON.stringify("config" in step ? step.config : {}),
        position,
      ],
    );
  }
  return {
    id: Number(pipeline.id),
    name: definition.name,
    version: pipeline.current_version,
    action: existing || pipeline.current_version > 1 ? "update" : "create",
  };
}

interface Target {
  id: number;
  name: string;
  current_version: number;
  definition: unknown;
}

/** The pipeline a save adds a version to (locked), or undefined to create. */
async function findTarget(
  tx: Queryable,
  definition: PipelineDefinition,
  options: SavePipelineOptions,
): Promise<Target | undefined> {
  const select = (where: string, param: unknown) =>
    tx.query<Target>(
      `select p.id, p.name, p.current_version, v.definition
       from pipeline p
       left join pipeline_version v
         on v.pipeline_id = p.id and v.version = p.current_version
       where ${where} for update of p`,
      [param],
    );
  const [byName] = await select("p.name = $1", definition.name);
  if (options.id === undefined) {
    if (byName && options.createOnly) {
      throw new PipelineNameTakenError(definition.name);
    }
    return byName && { ...byName, id: Number(byName.id) };
  }
  if (byName && Number(byName.id) !== options.id) {
    throw new PipelineNameTakenError(definition.name);
  }
  const [target] = byName ? [byName] : await select("p.id = $1", options.id);
  if (!target) throw new PipelineNotFoundError(options.id);
  return { ...target, id: Number(target.id) };
}

/** Whether two definitions are the same once defaults are filled in. */
export function sameDefinition(stored: unknown, next: unknown): boolean {
  // A version saved before a field got a default lacks it: fill it in.
  const parsed = pipelineSchema.safeParse(stored);
  const current = parsed.success ? parsed.data : stored;
  return canonicalJson(current) === canonicalJson(next);
}

/** JSON with object keys sorted at every level (array order kept). */
function canonicalJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) =>
      typeof v === "object" && v !== null && !Array.isArray(v)
        ? Object.fromEntries(
          Object.keys(v).sort().map((key) => [key, v[key]]),
        )
        : v,
  );
}

/**
 * Every step whose connector does not exist or that `author` may not use,
 * in step order (steps whose connector is not a string are skipped: the
 * schema reports them).
 */
export async function connectorProblems(
  db: Queryable,
  steps: readonly { connector?: unknown; type?: unknown }[],
  author: Principal | null,
): Promise<(UnknownConnectorError | ConnectorAccessError)[]> {
  const names = [
    ...new Set(
      steps.map(stepConnector).filter((name) => typeof name === "string"),
    ),
  ] as string[];
  const rows = names.length === 0 ? [] : await db.query<
    { id: number; name: string; builtin: boolean; kind: string }
  >(
    "select id, name, builtin, kind from connector where name = any($1::text[])",
    [names],
  );
  const byName = new Map(rows.map((row) => [row.name, row]));
  const usable = new Map<string, boolean>();
  const problems: (UnknownConnectorError | ConnectorAccessError)[] = [];
  for (const [index, step] of steps.entries()) {
    const name = stepConnector(step);
    if (typeof name !== "string") continue;
    const row = byName.get(name);
    if (!row) {
      problems.push(new UnknownConnectorError(index, name));
      continue;
    }
    const needed = typeof step.type === "string" &&
        Object.hasOwn(KINDS_FOR, step.type)
      ? KINDS_FOR[step.type]
      : undefined;
    if (needed && !needed.kinds.includes(row.kind)) {
      problems.push(new ConnectorKindError(index, name, needed.need));
      continue;
    }
    // A pipeline uses its connectors' credentials whenever it runs: its
    // author must be allowed to use them (built-ins are everyone's).
    if (!author || row.builtin) continue;
    if (!usable.has(row.name)) {
      const ownership = await loadOwnership(db, "connector", Number(row.id));
      usable.set(
        row.name,
        ownership !== null && can(author, "connector.use", ownership),
      );
    }
    if (!usable.get(row.name)) {
      problems.push(new ConnectorAccessError(index, name));
    }
  }
  return problems;
}

/**
 * Deletes a pipeline with its versions, runs and shares. Refuses while one
 * of its runs is pending or running.
 */
export async function deletePipeline(db: Db, id: number): Promise<void> {
  await db.transaction(async (tx) => {
    const [pipeline] = await tx.query<{ name: string }>(
      "select name from pipeline where id = $1 for update",
      [id],
    );
    if (!pipeline) throw new PipelineNotFoundError(id);
    const [active] = await tx.query<{ id: number }>(
      `select id from pipeline_run
       where pipeline_id = $1 and status in ('PENDING', 'RUNNING')
       order by id limit 1`,
      [id],
    );
    if (active) throw new PipelineBusyError(pipeline.name, Number(active.id));
    await tx.query(
      `delete from resource_share
       where resource_type = 'pipeline' and resource_id = $1`,
      [id],
    );
    await tx.query("delete from pipeline where id = $1", [id]);
  });
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

// Steps that use no connector (transform) have no `connector` field.
function stepConnector(step: object): unknown {
  return (step as { connector?: unknown }).connector;
}
