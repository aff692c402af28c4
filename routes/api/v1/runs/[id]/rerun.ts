// POST /api/v1/runs/:id/rerun: a new run of the same pipeline (its current
// version) with the ended run's parameter values.

import { define } from "../../../../../lib/state.ts";
import { HttpError } from "../../../../../lib/web/mod.ts";
import { recordAudit } from "../../../../../lib/audit/audit_log.ts";
import { requestActor } from "../../../../../lib/auth/request_actor.ts";
import { rerunRun } from "../../../../../lib/engine/rerun_run.ts";
import { idParam } from "../../../../../lib/api/problem.ts";

export const handler = define.handlers({
  async POST(ctx) {
    const { db } = ctx.state.services;
    const id = idParam(ctx.params.id, "Run");
    const rerun = await rerunRun(db, id, {
      trigger: "api",
      createdBy: ctx.state.user?.userId,
    });
    if (!rerun) throw new HttpError(404, `Run "${ctx.params.id}" not found`);
    await recordAudit(db, {
      actor: requestActor(ctx.state),
      action: "run.rerun",
      target: { type: "run", id },
      ip: ctx.state.ip,
      detail: {
        runId: rerun.runId,
        pipelineId: rerun.pipeline.id,
        params: rerun.params,
      },
    });
    return ctx.json({ id: rerun.runId, status: "PENDING" }, {
      status: 201,
      headers: { location: `/api/v1/runs/${rerun.runId}` },
    });
  },
});
