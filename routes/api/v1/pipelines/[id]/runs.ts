// POST /api/v1/pipelines/:id/runs: starts a run, with parameters checked
// against the ones the pipeline declares (defaults filled in).

import { define } from "../../../../../lib/state.ts";
import { recordAudit } from "../../../../../lib/audit/audit_log.ts";
import { requestActor } from "../../../../../lib/auth/request_actor.ts";
import { HttpError } from "../../../../../lib/web/mod.ts";
import { getPipeline } from "../../../../../lib/pipeline/pipeline_store.ts";
import { startPipelineRun } from "../../../../../lib/engine/start_run.ts";
import {
  idParam,
  ProblemError,
  readJsonBody,
  validationError,
} from "../../../../../lib/api/problem.ts";
import {
  type ParamError,
  resolveRunParams,
  startRunBodySchema,
} from "../../../../../lib/pipeline/params.ts";

export const handler = define.handlers({
  async POST(ctx) {
    const { db } = ctx.state.services;
    const pipeline = await getPipeline(db, idParam(ctx.params.id, "Pipeline"));
    if (!pipeline) {
      throw new HttpError(404, `Pipeline "${ctx.params.id}" not found`);
    }
    const body = startRunBodySchema.safeParse(
      await readJsonBody(ctx.req, "run request", { empty: {} }),
    );
    if (!body.success) throw validationError("run request", body.error);
    const resolved = resolveRunParams(
      pipeline.definition.params,
      body.data.params,
    );
    if (!resolved.ok) throw paramsError(pipeline.name, resolved.errors);
    const runId = await startPipelineRun(db, pipeline.id, {
      trigger: "api",
      params: resolved.values,
      createdBy: ctx.state.user?.userId,
    });
    await recordAudit(db, {
      actor: requestActor(ctx.state),
      action: "pipeline.run",
      target: { type: "pipeline", id: pipeline.id, name: pipeline.name },
      ip: ctx.state.ip,
      detail: { runId, trigger: "api", params: resolved.values },
    });
    return ctx.json({ id: runId, status: "PENDING" }, {
      status: 201,
      headers: { location: `/api/v1/runs/${runId}` },
    });
  },
});

function paramsError(name: string, errors: ParamError[]): ProblemError {
  const [first] = errors;
  return new ProblemError(
    422,
    `Cannot run pipeline "${name}": ${first.field}: ${first.message}${
      errors.length > 1 ? ` (and ${errors.length - 1} more)` : ""
    }`,
    errors,
  );
}
