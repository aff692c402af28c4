// A pipeline's current version as a file: canonical YAML (default) or JSON.
// Connectors are referenced by name, so no secret is ever in it; importing
// the file again changes nothing (action "unchanged").

import { define } from "../../../../../lib/state.ts";
import { HttpError } from "../../../../../lib/web/mod.ts";
import { getPipeline } from "../../../../../lib/pipeline/pipeline_store.ts";
import { idParam, ProblemError } from "../../../../../lib/api/problem.ts";
import {
  exportedDefinition,
  pipelineSchemaUrl,
  pipelineYamlDocument,
} from "../../../../../lib/pipeline/pipeline_upload.ts";
import { pipelineToJson } from "../../../../../lib/pipeline/pipeline_text.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const format = ctx.url.searchParams.get("format") ?? "yaml";
    if (format !== "yaml" && format !== "json") {
      const message = `must be "yaml" or "json"`;
      throw new ProblemError(422, `Invalid format "${format}": ${message}`, [
        { field: "format", message },
      ]);
    }
    const pipeline = await getPipeline(
      ctx.state.services.db,
      idParam(ctx.params.id, "Pipeline"),
    );
    if (!pipeline) {
      throw new HttpError(404, `Pipeline "${ctx.params.id}" not found`);
    }
    const body = format === "yaml"
      ? pipelineYamlDocument(
        pipeline.definition,
        pipelineSchemaUrl(ctx.url, ctx.state.https),
      )
      : pipelineToJson(exportedDefinition(pipeline.definition));
    return new Response(body, {
      headers: {
        "content-type": format === "yaml"
          ? "application/yaml; charset=utf-8"
          : "application/json; charset=utf-8",
        // Names are [a-z0-9_-]: safe inside the quotes as they are.
        "content-disposition":
          `attachment; filename="${pipeline.name}.${format}"`,
      },
    });
  },
});
