// API errors as RFC 9457 problem documents: status, title, detail and, for
// validation errors, every failing field with its path.

import type { z } from "zod";
import { HttpError, statusText } from "../web/mod.ts";
import {
  invalidUtf8Offset,
  jsonSyntaxError,
  textPosition,
} from "./json_syntax.ts";

/** One failing field. */
export interface FieldError {
  /** Dotted path, e.g. `steps.1.needs.0`. */
  field: string;
  message: string;
  /** 1-based position in a YAML/JSON source, when known. */
  line?: number;
  column?: number;
}

/** An HttpError that also lists failing fields. */
export class ProblemError extends HttpError {
  constructor(
    status: number,
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(status, message);
  }
}

/** Turns zod issues into field errors; each unknown key is its own error at its path. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        // An empty key still needs a visible path.
        field: [...issue.path, key === "" ? '""' : key].map(String).join("."),
        message: `unknown field "${key}"`,
      }));
    }
    return [{
      field: issue.path.map(String).join("."),
      message: issue.message,
    }];
  });
}

/** The 422 thrown for a body that fails its schema. */
export function validationError(what: string, error: z.ZodError): ProblemError {
  const errors = fieldErrors(error);
  const first = errors[0];
  return new ProblemError(
    422,
    `Invalid ${what}: ${first.field ? `${first.field}: ` : ""}${first.message}${
      errors.length > 1 ? ` (and ${errors.length - 1} more)` : ""
    }`,
    errors,
  );
}

/** A problem+json response for any thrown value (no internals for non-HTTP errors). */
export function problemResponse(error: unknown): Response {
  const status = error instanceof HttpError ? error.status : 500;
  const body: Record<string, unknown> = {
    type: "about:blank",
    title: statusText(status),
    status,
    detail: error instanceof HttpError ? error.message : statusText(500),
  };
  if (error instanceof ProblemError && error.errors.length > 0) {
    body.errors = error.errors;
    body.field = error.errors[0].field;
  }
  const headers = error instanceof HttpError
    ? new Headers(error.headers)
    : new Headers();
  headers.set("content-type", "application/problem+json");
  return new Response(JSON.stringify(body), { status, headers });
}

/** Parses a JSON request body with `schema`, or throws a 400/422 problem. */
export async function parseJsonBody<S extends z.ZodType>(
  req: Request,
  schema: S,
  what: string,
): Promise<z.infer<S>> {
  const body = await readJsonBody(req, what);
  const result = schema.safeParse(body);
  if (!result.success) throw validationError(what, result.error);
  return result.data;
}

/**
 * Decodes a request body as UTF-8; invalid bytes are a 400 whose error gives
 * the line and column of the first one (`what` starts the detail).
 */
export function decodeUtf8Body(bytes: Uint8Array, what: string): string {
  const bad = invalidUtf8Offset(bytes);
  if (bad >= 0) {
    const prefix = new TextDecoder().decode(bytes.subarray(0, bad));
    const message = "the body is not valid UTF-8";
    throw new ProblemError(400, `${what}: ${message}`, [
      { field: "", message, ...textPosition(prefix, prefix.length) },
    ]);
  }
  return new TextDecoder().decode(bytes);
}

/**
 * Reads a JSON request body; a body that isn't UTF-8 or JSON is a 400 whose
 * error gives the line and column. An empty body is `empty` when given.
 */
export async function readJsonBody(
  req: Request,
  what: string,
  options: { empty?: unknown } = {},
): Promise<unknown> {
  const text = decodeUtf8Body(
    new Uint8Array(await req.arrayBuffer()),
    `Cannot parse ${what}`,
  );
  if ("empty" in options && text.trim() === "") return options.empty;
  try {
    return JSON.parse(text);
  } catch {
    const problem = jsonSyntaxError(text) ??
      { offset: 0, message: "not valid JSON" };
    throw new ProblemError(
      400,
      `Cannot parse ${what}: the body is not valid JSON: ${problem.message}`,
      [{
        field: "",
        message: problem.message,
        ...textPosition(text, problem.offset),
      }],
    );
  }
}

/** Parses a positive integer path parameter, or throws 404. */
export function idParam(value: string | undefined, what: string): number {
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw new HttpError(404, `${what} "${value}" not found`);
  }
  return id;
}
