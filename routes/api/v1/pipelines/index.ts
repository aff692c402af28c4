import { define } from "../../../../lib/state.ts";
import {
  listPipelines,
  savePipeline,
  UnknownConnectorError,
} from "../../../../lib/pipeline/pipeline_store.ts";
import { pipelineSchema } from "../../../../lib/pipeline/pipeline_schema.ts";
import { parseJsonBody, ProblemError } from "../../../../lib/api/problem.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const pipelines = await listPipelines(ctx.state.services.db);
    return ctx.json(pipelines.map(({ version_id: _, ...p }) => p));
  },
  // Creates a pipeline, or a new version of the one with the same name.
  async POST(ctx) {
    const definition = await parseJsonBody(ctx.req, pipelineSchema, "pipeline");
    try {
      const saved = await savePipeline(ctx.state.services.db, definition);
      return ctx.json(saved, { status: 201 });
    } catch (error) {
      if (error instanceof UnknownConnectorError) {
        throw new ProblemError(
          422,
          `Cannot save pipeline "${definition.name}": ${error.message}`,
          [
            {
              field: `steps.${error.stepIndex}.connector`,
              message: error.message,
            },
          ],
        );
      }
      throw error;
    }
  },
});
