// Rolls a pipeline back: `{version, message?}` saves that old version's
// definition as a new version (201), checked like any save; 200 and action
// "unchanged" when the current version already has that definition.

import { define } from "../../../../../lib/state.ts";
import { recordAudit } from "../../../../../lib/audit/audit_log.ts";
import { requestActor } from "../../../../../lib/auth/request_actor.ts";
import { idParam, parseJsonBody } from "../../../../../lib/api/problem.ts";
import {
  rollbackPipeline,
  rollbackRequestSchema,
} from "../../../../../lib/pipeline/pipeline_versions.ts";

export const handler = define.handlers({
  async POST(ctx) {
    const { db } = ctx.state.services;
    const id = idParam(ctx.params.id, "Pipeline");
    const body = await parseJsonBody(
      ctx.req,
      rollbackRequestSchema,
      "rollback",
    );
    const saved = await rollbackPipeline(db, id, body.version, {
      author: ctx.state.user,
      message: body.message,
    });
    if (saved.action === "unchanged") return ctx.json(saved);
    await recordAudit(db, {
      actor: requestActor(ctx.state),
      action: "pipeline.rollback",
      target: { type: "pipeline", id, name: saved.name },
      ip: ctx.state.ip,
      detail: { version: saved.version, restored: body.version },
    });
    return ctx.json(saved, {
      status: 201,
      headers: {
        location: `/api/v1/pipelines/${id}/versions/${saved.version}`,
      },
    });
  },
});
