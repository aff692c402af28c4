// The shape of every API error (RFC 9457 problem+json, as problemResponse()
// in problem.ts writes it), as a zod schema for the OpenAPI document.

import { z } from "zod";

/** The media type of every API error response. */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** One failing field of a rejected request. */
export const fieldErrorSchema = z.object({
  field: z.string().describe(
    "Dotted path of the field, e.g. steps.1.needs.0 (empty for the whole body)",
  ),
  message: z.string().describe("What is wrong with it"),
  line: z.number().int().min(1).optional().describe(
    "1-based line in the YAML or JSON source, when the body was text",
  ),
  column: z.number().int().min(1).optional().describe(
    "1-based column in the YAML or JSON source, when the body was text",
  ),
}).describe("One failing field");

/** An error response body. */
export const problemSchema = z.object({
  type: z.string().describe('Problem type URI; "about:blank" for all of ours'),
  title: z.string().describe(
    "The HTTP reason phrase, e.g. Unprocessable Content",
  ),
  status: z.number().int().min(400).max(599).describe("The HTTP status"),
  detail: z.string().describe("What went wrong, safe to show"),
  field: z.string().optional().describe(
    "Path of the first failing field (validation errors)",
  ),
  errors: z.array(fieldErrorSchema).optional().describe(
    "Every failing field at once (validation errors)",
  ),
}).describe("An API error (RFC 9457 problem details)");

/** A validated problem document. */
export type Problem = z.infer<typeof problemSchema>;
