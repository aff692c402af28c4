// The JSON Schema of a pipeline definition, generated from the zod schema
// the loader validates with, for editors (`# yaml-language-server:
// $schema=…`) and tools. Public: it describes the format, holds no data.

import { z } from "zod";
import { define } from "../../../../lib/state.ts";
import { pipelineSchema } from "../../../../lib/pipeline/pipeline_schema.ts";
import { pipelineSchemaUrl } from "../../../../lib/pipeline/pipeline_upload.ts";

let cached: Record<string, unknown> | undefined;

/** The pipeline JSON Schema (draft 2020-12) with `$id` = `url`. */
export function pipelineJsonSchema(url: string): Record<string, unknown> {
  // Generated once per process; only $id depends on the request.
  cached ??= {
    ...z.toJSONSchema(pipelineSchema, { io: "input", unrepresentable: "any" }),
    title: "ETL pipeline",
    description:
      "A pipeline definition: named steps that extract from and load into connectors, run in the order their needs give",
  };
  const { $schema, ...rest } = cached;
  return { $schema, $id: url, ...rest };
}

export const handler = define.handlers({
  GET(ctx) {
    const schema = pipelineJsonSchema(
      pipelineSchemaUrl(ctx.url, ctx.state.https),
    );
    return new Response(JSON.stringify(schema, null, 2), {
      headers: {
        "content-type": "application/schema+json; charset=utf-8",
        "cache-control": "public, max-age=300",
      },
    });
  },
});
