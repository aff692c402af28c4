// A pipeline's history: its immutable versions, a readable diff between
// two of them (of their canonical YAML) and rollback, which saves an old
// definition again as a new version, so history is never rewritten.

import { z } from "zod";
import type { Principal } from "../auth/principal.ts";
import type { Db, Queryable } from "../db/db.ts";
import { HttpError } from "../web/mod.ts";
import {
  type FieldError,
  ProblemError,
  validationError,
} from "../api/problem.ts";
import { type PipelineDefinition, pipelineSchema } from "./pipeline_schema.ts";
import {
  ConnectorAccessError,
  PipelineAccessError,
  PipelineNameTakenError,
  PipelineNotFoundError,
  savePipeline,
  UnknownConnectorError,
} from "./pipeline_store.ts";
import { pipelineToYaml } from "./pipeline_text.ts";
import { unifiedDiff } from "./line_diff.ts";

/** One version in a pipeline's history (`GET …/versions`). */
export const versionSummarySchema = z.object({
  version: z.number().int().positive().describe("Version number, from 1"),
  author: z.string().nullable().describe(
    "Email of who saved it; null for the platform or a deleted user",
  ),
  message: z.string().describe("What the save said it changed"),
  createdAt: z.iso.datetime().describe("When it was saved"),
  current: z.boolean().describe("Whether runs use this version now"),
});

/** One version in a pipeline's history. */
export type PipelineVersionSummary = z.infer<typeof versionSummarySchema>;

/** The body of `POST /api/v1/pipelines/{id}/rollback`. */
export const rollbackRequestSchema = z.object({
  version: z.number().int().positive().describe(
    "The old version whose definition becomes a new version",
  ),
  message: z.string().max(500).optional().describe(
    'The new version\'s message (default "Roll back to version N")',
  ),
}).strict();

/** The answer of a rollback: the pipeline and its new version. */
export const rollbackResultSchema = z.object({
  id: z.number().int(),
  name: z.string(),
  version: z.number().int().positive().describe(
    "The new version; the current one when action is unchanged",
  ),
  action: z.enum(["update", "unchanged"]).describe(
    "unchanged (answered 200) when the current version already has that definition",
  ),
});

/** The answer of `GET /api/v1/pipelines/{id}/diff`. */
export const versionDiffSchema = z.object({
  from: z.number().int().positive(),
  to: z.number().int().positive(),
  diff: z.string().describe(
    "Unified diff of the two versions' canonical YAML; empty when equal",
  ),
});

/** One version with its definition. */
export interface PipelineVersion extends PipelineVersionSummary {
  definition: PipelineDefinition;
}

/** Thrown for an unknown pipeline or version: a 404. */
export class VersionNotFoundError extends HttpError {
  constructor(pipelineId: number, version?: number) {
    super(
      404,
      version === undefined
        ? `Pipeline "${pipelineId}" not found`
        : `Pipeline "${pipelineId}" has no version ${version}`,
    );
    this.name = "VersionNotFoundError";
  }
}

const SELECT_VERSION = `
  select v.version, u.email as author, v.message, v.created_at,
         v.version = p.current_version as current, v.definition
  from pipeline p
  join pipeline_version v on v.pipeline_id = p.id
  left join app_user u on u.id = v.author_id`;

interface VersionRow {
  version: number;
  author: string | null;
  message: string;
  created_at: Date | string;
  current: boolean;
  definition: PipelineDefinition | string;
}

function toSummary(row: VersionRow): PipelineVersionSummary {
  return {
    version: Number(row.version),
    author: row.author ?? null,
    message: row.message,
    createdAt: new Date(row.created_at).toISOString(),
    current: Boolean(row.current),
  };
}

/** Every version of a pipeline, newest first. */
export async function listVersions(
  db: Queryable,
  pipelineId: number,
): Promise<PipelineVersionSummary[]> {
  const rows = await db.query<VersionRow>(
    `${SELECT_VERSION} where p.id = $1 order by v.version desc`,
    [pipelineId],
  );
  if (rows.length === 0) throw new VersionNotFoundError(pipelineId);
  return rows.map(toSummary);
}

/** One version with its definition; throws VersionNotFoundError. */
export async function getVersion(
  db: Queryable,
  pipelineId: number,
  version: number,
): Promise<PipelineVersion> {
  const [row] = await db.query<VersionRow>(
    `${SELECT_VERSION} where p.id = $1 and v.version = $2`,
    [pipelineId, version],
  );
  if (!row) {
    await currentVersion(db, pipelineId); // 404 for the pipeline first
    throw new VersionNotFoundError(pipelineId, version);
  }
  const definition = typeof row.definition === "string"
    ? JSON.parse(row.definition)
    : row.definition;
  return { ...toSummary(row), definition };
}

/** The pipeline's current version number; throws VersionNotFoundError. */
export async function currentVersion(
  db: Queryable,
  pipelineId: number,
): Promise<number> {
  const [row] = await db.query<{ current_version: number }>(
    "select current_version from pipeline where id = $1",
    [pipelineId],
  );
  if (!row) throw new VersionNotFoundError(pipelineId);
  return Number(row.current_version);
}

/**
 * The unified diff (3 lines of context) from version `from` to version
 * `to` of their canonical YAML, headed `name@vN`; "" when they are equal.
 */
export async function diffVersions(
  db: Queryable,
  pipelineId: number,
  from: number,
  to: number,
): Promise<string> {
  const before = await getVersion(db, pipelineId, from);
  const after = await getVersion(db, pipelineId, to);
  return unifiedDiff(
    pipelineToYaml(before.definition),
    pipelineToYaml(after.definition),
    {
      fromLabel: `${before.definition.name}@v${from}`,
      toLabel: `${after.definition.name}@v${to}`,
    },
  );
}

/**
 * The versions a diff compares, from query values: `to` defaults to the
 * current version, `from` to the one before `to`. Throws a 422 naming
 * `from` or `to` for anything but a positive integer.
 */
export async function diffRange(
  db: Queryable,
  pipelineId: number,
  query: { from?: string | null; to?: string | null },
): Promise<{ from: number; to: number }> {
  const errors: FieldError[] = [];
  const parse = (field: "from" | "to") => {
    const raw = query[field];
    if (raw === undefined || raw === null || raw === "") return undefined;
    const value = Number(raw);
    if (/^\d+$/.test(raw) && Number.isSafeInteger(value) && value > 0) {
      return value;
    }
    errors.push({ field, message: "must be a version number (1, 2, …)" });
  };
  const from = parse("from");
  const to = parse("to");
  if (errors.length > 0) {
    throw new ProblemError(
      422,
      `Invalid diff: ${errors[0].field}: ${errors[0].message}`,
      errors,
    );
  }
  const end = to ?? await currentVersion(db, pipelineId);
  return { from: from ?? Math.max(1, end - 1), to: end };
}

/** Options of {@linkcode rollbackPipeline}. */
export interface RollbackOptions {
  /** Who rolls back: must be allowed to edit the pipeline and use its connectors. */
  author?: Principal | null;
  /** The new version's message (default `Roll back to version N`). */
  message?: string;
}

/** What a rollback did: the pipeline and the version it is at now. */
export interface RollbackResult {
  id: number;
  name: string;
  /** The new version; the current one when `action` is "unchanged". */
  version: number;
  /** "unchanged" when the current version already has that definition. */
  action: "update" | "unchanged";
}

/**
 * Saves the definition of `version` again as a new version (through
 * savePipeline, so the author's rights and the connectors are checked as
 * for any save). Throws VersionNotFoundError, or a ProblemError (403, 409,
 * 422).
 */
export async function rollbackPipeline(
  db: Db,
  pipelineId: number,
  version: number,
  options: RollbackOptions = {},
): Promise<RollbackResult> {
  const old = await getVersion(db, pipelineId, version);
  const what =
    `Cannot roll back pipeline "${old.definition.name}" to version ${version}`;
  if (old.current) {
    throw new ProblemError(422, `${what}: it is the current version`, [
      { field: "version", message: "is the current version" },
    ]);
  }
  // An old definition must still be valid today.
  const parsed = pipelineSchema.safeParse(old.definition);
  if (!parsed.success) {
    throw validationError(`pipeline version ${version}`, parsed.error);
  }
  try {
    const saved = await savePipeline(db, parsed.data, {
      id: pipelineId,
      author: options.author ?? null,
      message: options.message?.trim() || `Roll back to version ${version}`,
    });
    return {
      id: saved.id,
      name: saved.name,
      version: saved.version,
      action: saved.action === "unchanged" ? "unchanged" : "update",
    };
  } catch (error) {
    if (error instanceof PipelineNotFoundError) {
      throw new VersionNotFoundError(pipelineId);
    }
    if (error instanceof PipelineAccessError) {
      throw new HttpError(403, `${what}: you may not edit it`);
    }
    if (error instanceof PipelineNameTakenError) {
      throw new ProblemError(409, `${what}: ${error.message}`, [
        { field: "name", message: error.message },
      ]);
    }
    if (
      error instanceof ConnectorAccessError ||
      error instanceof UnknownConnectorError
    ) {
      throw new ProblemError(
        error instanceof ConnectorAccessError ? 403 : 422,
        `${what}: ${error.message}`,
        [{
          field: `steps.${error.stepIndex}.connector`,
          message: error.message,
        }],
      );
    }
    throw error;
  }
}
