import { define } from "../../../../../lib/state.ts";
import { recordAudit } from "../../../../../lib/audit/audit_log.ts";
import { requestActor } from "../../../../../lib/auth/request_actor.ts";
import { HttpError } from "../../../../../lib/web/mod.ts";
import { getPipeline } from "../../../../../lib/pipeline/pipeline_store.ts";
import { startPipelineRun } from "../../../../../lib/engine/start_run.ts";
import { idParam } from "../../../../../lib/api/problem.ts";

export const handler = define.handlers({
  async POST(ctx) {
    const { db } = ctx.state.services;
    const pipeline = await getPipeline(db, idParam(ctx.params.id, "Pipeline"));
    if (!pipeline) {
      throw new HttpError(404, `Pipeline "${ctx.params.id}" not found`);
    }
    const runId = await startPipelineRun(db, pipeline.id, {
      trigger: "api",
      createdBy: ctx.state.user?.userId,
    });
    await recordAudit(db, {
      actor: requestActor(ctx.state),
      action: "pipeline.run",
      target: { type: "pipeline", id: pipeline.id, name: pipeline.name },
      ip: ctx.state.ip,
      detail: { runId, trigger: "api" },
    });
    return ctx.json({ id: runId, status: "PENDING" }, {
      status: 201,
      headers: { location: `/api/v1/runs/${runId}` },
    });
  },
});
