// "Load a CSV": the two-step pipeline (extract the file → load a table) that
// the UI's upload form and the API build from a few fields.

import { z } from "zod";
import { basename } from "node:path";
import { nameSchema, type PipelineDefinition } from "./pipeline_schema.ts";

/** The fields of a CSV load request (form or API). */
export const csvLoadSchema = z.object({
  upload: z.string().regex(
    /^[a-f0-9-]{36}-[a-z0-9._-]+$/,
    "is not an upload name",
  )
    .optional().describe("Name of a file stored by POST /api/v1/uploads"),
  path: z.string().min(1).optional().describe(
    "Path of a CSV file on the server, under an allowed directory",
  ),
  connector: nameSchema.default("warehouse").describe("Target connector"),
  table: z.string().regex(
    /^([a-z_][a-z0-9_]*\.)?[a-z_][a-z0-9_]*$/,
    "must be a lower-case table name, optionally schema-qualified",
  ).describe("Target table (created if missing)"),
  mode: z.enum(["append", "replace"]).default("append").describe(
    "append adds rows; replace swaps the table's content",
  ),
  delimiter: z.string().length(1).default(",").describe("Field separator"),
}).refine((value) => Boolean(value.upload) !== Boolean(value.path), {
  message: "give either an uploaded file or a server path",
  path: ["upload"],
});

/** A validated CSV load request. */
export type CsvLoadRequest = z.infer<typeof csvLoadSchema>;

/** The pipeline definition of a CSV load; `files` is the built-in CSV connector. */
export function csvLoadPipeline(
  request: CsvLoadRequest,
  uploadsDir: string,
): PipelineDefinition {
  const path = request.upload
    ? `${uploadsDir}/${request.upload}`
    : request.path!;
  const table = request.table.replace(".", "_");
  return {
    name: `load_csv_${table}`.slice(0, 63),
    description: `Load ${
      basename(path)
    } into ${request.table} on ${request.connector}`,
    steps: [
      {
        id: "extract",
        type: "extract",
        connector: "files",
        needs: [],
        retries: 0,
        config: { path, delimiter: request.delimiter },
      },
      {
        id: "load",
        type: "load",
        connector: request.connector,
        needs: ["extract"],
        retries: 0,
        config: { table: request.table, mode: request.mode },
      },
    ],
  };
}
