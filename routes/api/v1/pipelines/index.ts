import { define } from "../../../../lib/state.ts";
import {
  ConnectorAccessError,
  listPipelines,
  PipelineAccessError,
  savePipeline,
  UnknownConnectorError,
} from "../../../../lib/pipeline/pipeline_store.ts";
import { pipelineSchema } from "../../../../lib/pipeline/pipeline_schema.ts";
import { parseJsonBody, ProblemError } from "../../../../lib/api/problem.ts";
import { HttpError } from "../../../../lib/web/mod.ts";
import { recordAudit } from "../../../../lib/audit/audit_log.ts";
import { requestActor } from "../../../../lib/auth/request_actor.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const pipelines = await listPipelines(ctx.state.services.db);
    return ctx.json(pipelines.map(({ version_id: _, ...p }) => p));
  },
  // Creates a pipeline, or a new version of the one with the same name.
  async POST(ctx) {
    const definition = await parseJsonBody(ctx.req, pipelineSchema, "pipeline");
    try {
      const { db } = ctx.state.services;
      const saved = await savePipeline(db, definition, {
        author: ctx.state.user,
      });
      await recordAudit(db, {
        actor: requestActor(ctx.state),
        action: saved.version === 1 ? "pipeline.create" : "pipeline.update",
        target: { type: "pipeline", id: saved.id, name: definition.name },
        ip: ctx.state.ip,
        detail: { version: saved.version },
      });
      return ctx.json(saved, { status: 201 });
    } catch (error) {
      if (error instanceof PipelineAccessError) {
        throw new HttpError(403, error.message);
      }
      if (error instanceof ConnectorAccessError) {
        throw new ProblemError(
          403,
          `Cannot save pipeline "${definition.name}": ${error.message}`,
          [{
            field: `steps.${error.stepIndex}.connector`,
            message: error.message,
          }],
        );
      }
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
