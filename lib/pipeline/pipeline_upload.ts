// Saving a pipeline sent as text (API bodies, the YAML editor): read the
// body by its content type, load it, save it, and turn every failure into
// problem errors that list each field with its line and column.

import {
  decodeUtf8Body,
  type FieldError,
  ProblemError,
} from "../api/problem.ts";
import {
  inSourceOrder,
  loadPipelineText,
  MAX_PIPELINE_BYTES,
  type PipelineFormat,
  type PipelineSource,
  sourceFieldError,
} from "./pipeline_loader.ts";
import {
  ConnectorAccessError,
  connectorProblems,
  PipelineAccessError,
  PipelineNameTakenError,
  PipelineNotFoundError,
  type SavedPipeline,
  savePipeline,
  type SavePipelineOptions,
  UnknownConnectorError,
} from "./pipeline_store.ts";
import { pipelineSchema } from "./pipeline_schema.ts";
import { pipelineToYaml } from "./pipeline_text.ts";
import type { Db, Queryable } from "../db/db.ts";
import { type AuditActor, recordAudit } from "../audit/audit_log.ts";

/** Longest version message accepted. */
export const MAX_VERSION_MESSAGE = 2000;

/** The media types a pipeline may be sent as, and how each is read. */
export const PIPELINE_MEDIA_TYPES: Readonly<Record<string, PipelineFormat>> = {
  "application/json": "json",
  "application/yaml": "yaml",
  "application/x-yaml": "yaml",
  "text/yaml": "yaml",
};

/** A pipeline's text and the format to read it in. */
export interface PipelineText {
  text: string;
  format: PipelineFormat;
}

/**
 * Reads a request body holding a pipeline: 415 for another content type,
 * 413 past {@linkcode MAX_PIPELINE_BYTES} (without reading further), 400
 * when it is not UTF-8.
 */
export async function readPipelineBody(req: Request): Promise<PipelineText> {
  const type = (req.headers.get("content-type") ?? "").split(";")[0].trim()
    .toLowerCase();
  const format = PIPELINE_MEDIA_TYPES[type];
  if (!format) {
    const message = `content type ${
      type ? `"${type}"` : "(none)"
    } is not supported: send ${Object.keys(PIPELINE_MEDIA_TYPES).join(", ")}`;
    throw new ProblemError(415, `Cannot read pipeline: ${message}`, [
      { field: "", message },
    ]);
  }
  const tooLarge = () => {
    const message = `document is larger than ${MAX_PIPELINE_BYTES} bytes`;
    return new ProblemError(413, `Cannot read pipeline: ${message}`, [
      { field: "", message },
    ]);
  };
  if (Number(req.headers.get("content-length")) > MAX_PIPELINE_BYTES) {
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (req.body) {
    const reader = req.body.getReader();
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_PIPELINE_BYTES) {
        await reader.cancel().catch(() => {});
        throw tooLarge();
      }
      chunks.push(value);
    }
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { text: decodeUtf8Body(bytes, "Cannot read pipeline"), format };
}

/**
 * Loads `text` and saves it (see savePipeline for `options`). Throws a
 * ProblemError listing every error with its position: 422 for an invalid
 * definition or unknown connectors, 413 for a document too large, 403 when
 * the author may not use a connector or edit the pipeline, 409 when the name
 * is another pipeline's, 404 when `options.id` does not exist.
 */
export async function savePipelineText(
  db: Db,
  { text, format }: PipelineText,
  options: SavePipelineOptions = {},
): Promise<SavedPipeline> {
  const author = options.author ?? null;
  const loaded = loadPipelineText(text, format);
  if (!loaded.ok) {
    const errors = [...loaded.errors];
    // Unknown connectors too, so that one round trip shows everything.
    const steps = stepsOf(loaded.data);
    if (steps) {
      const problems = await connectorProblems(db, steps, author);
      errors.push(...connectorErrors(loaded.source, problems));
    }
    throw problem(loaded.status, inSourceOrder(errors));
  }
  const { definition, source } = loaded;
  const problems = await connectorProblems(db, definition.steps, author);
  if (problems.length > 0) {
    const denied = problems.every((p) => p instanceof ConnectorAccessError);
    throw problem(denied ? 403 : 422, connectorErrors(source, problems));
  }
  try {
    return await savePipeline(db, definition, options);
  } catch (error) {
    const at = (path: string, message: string) =>
      sourceFieldError(source, path, message);
    if (error instanceof PipelineAccessError) {
      throw problem(403, [at("name", error.message)]);
    }
    if (error instanceof PipelineNameTakenError) {
      throw problem(409, [at("name", error.message)]);
    }
    if (error instanceof PipelineNotFoundError) {
      throw problem(404, [{ field: "", message: error.message }]);
    }
    if (
      error instanceof UnknownConnectorError ||
      error instanceof ConnectorAccessError
    ) {
      const status = error instanceof ConnectorAccessError ? 403 : 422;
      throw problem(status, connectorErrors(source, [error]));
    }
    throw error;
  }
}

/** A problem whose detail names the first error and its position. */
function problem(status: number, errors: FieldError[]): ProblemError {
  const [first] = errors;
  const where = first.line
    ? `line ${first.line}, column ${first.column}: `
    : "";
  const field = first.field ? `${first.field}: ` : "";
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : "";
  return new ProblemError(
    status,
    `Invalid pipeline: ${where}${field}${first.message}${more}`,
    errors,
  );
}

function connectorErrors(
  source: PipelineSource | undefined,
  problems: (UnknownConnectorError | ConnectorAccessError)[],
): FieldError[] {
  return problems.map((p) =>
    sourceFieldError(source, `steps.${p.stepIndex}.connector`, p.message)
  );
}

function stepsOf(
  data: unknown,
): { connector?: unknown; type?: unknown }[] | undefined {
  if (typeof data !== "object" || data === null) return undefined;
  const steps = (data as { steps?: unknown }).steps;
  if (!Array.isArray(steps)) return undefined;
  // Past the schema's limit the schema already says enough.
  return steps.slice(0, 200).map((step) =>
    typeof step === "object" && step !== null
      ? {
        connector: (step as { connector?: unknown }).connector,
        type: (step as { type?: unknown }).type,
      }
      : {}
  );
}

/** The `?message=` of a save, or a 422 problem when it is too long. */
export function versionMessage(url: URL): string {
  const message = url.searchParams.get("message") ?? "";
  if (message.length > MAX_VERSION_MESSAGE) {
    const text = `must be at most ${MAX_VERSION_MESSAGE} characters`;
    throw new ProblemError(422, `Invalid message: ${text}`, [
      { field: "message", message: text },
    ]);
  }
  return message;
}

/** Audits a save that changed something: pipeline.create or pipeline.update. */
export async function auditPipelineSave(
  db: Queryable,
  saved: SavedPipeline,
  options: { actor: AuditActor; ip?: string; message?: string },
): Promise<void> {
  if (saved.action === "unchanged") return;
  await recordAudit(db, {
    actor: options.actor,
    action: saved.action === "create" ? "pipeline.create" : "pipeline.update",
    target: { type: "pipeline", id: saved.id, name: saved.name },
    ip: options.ip,
    detail: {
      version: saved.version,
      ...(options.message ? { message: options.message } : {}),
    },
  });
}

/** Where this server serves the pipeline JSON Schema, as clients see it. */
export function pipelineSchemaUrl(url: URL, https = false): string {
  const protocol = https ? "https:" : url.protocol;
  return `${protocol}//${url.host}/api/v1/schema/pipeline.json`;
}

/** A stored definition as exported: defaults of newer fields filled in. */
export function exportedDefinition(stored: unknown): unknown {
  const parsed = pipelineSchema.safeParse(stored);
  return parsed.success ? parsed.data : stored;
}

/**
 * Canonical YAML of a definition, opening with the line that points the
 * YAML language server (editors' completion and checks) at the schema.
 */
export function pipelineYamlDocument(
  definition: unknown,
  schemaUrl: string,
): string {
  return `# yaml-language-server: $schema=${schemaUrl}\n` +
    pipelineToYaml(exportedDefinition(definition));
}
