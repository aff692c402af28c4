// One pipeline: read it, replace its definition (a new version) from a JSON
// or YAML body, or delete it with its versions and runs.

import { define } from "../../../../../lib/state.ts";
import { HttpError } from "../../../../../lib/web/mod.ts";
import {
  deletePipeline,
  getPipeline,
  PipelineBusyError,
  PipelineNotFoundError,
} from "../../../../../lib/pipeline/pipeline_store.ts";
import {
  auditPipelineSave,
  readPipelineBody,
  savePipelineText,
  versionMessage,
} from "../../../../../lib/pipeline/pipeline_upload.ts";
import { idParam, ProblemError } from "../../../../../lib/api/problem.ts";
import { recordAudit } from "../../../../../lib/audit/audit_log.ts";
import { requestActor } from "../../../../../lib/auth/request_actor.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const pipeline = await getPipeline(
      ctx.state.services.db,
      idParam(ctx.params.id, "Pipeline"),
    );
    if (!pipeline) {
      throw new HttpError(404, `Pipeline "${ctx.params.id}" not found`);
    }
    const { version_id: _, ...rest } = pipeline;
    return ctx.json(rest);
  },
  // A new version of this pipeline; a body naming another pipeline is 409.
  async PUT(ctx) {
    const id = idParam(ctx.params.id, "Pipeline");
    const message = versionMessage(ctx.url);
    const body = await readPipelineBody(ctx.req);
    const saved = await savePipelineText(ctx.state.services.db, body, {
      id,
      author: ctx.state.user,
      message,
    });
    await auditPipelineSave(ctx.state.services.db, saved, {
      actor: requestActor(ctx.state),
      ip: ctx.state.ip,
      message,
    });
    const { name, version, action } = saved;
    return ctx.json({ id, name, version, action });
  },
  async DELETE(ctx) {
    const id = idParam(ctx.params.id, "Pipeline");
    const { db } = ctx.state.services;
    const pipeline = await getPipeline(db, id);
    try {
      await deletePipeline(db, id);
    } catch (error) {
      if (error instanceof PipelineNotFoundError) {
        throw new HttpError(404, `Pipeline "${ctx.params.id}" not found`);
      }
      if (error instanceof PipelineBusyError) {
        throw new ProblemError(409, error.message, [
          { field: "", message: error.message },
        ]);
      }
      throw error;
    }
    await recordAudit(db, {
      actor: requestActor(ctx.state),
      action: "pipeline.delete",
      target: { type: "pipeline", id, name: pipeline?.name ?? null },
      ip: ctx.state.ip,
      detail: { version: pipeline?.current_version },
    });
    return new Response(null, { status: 204 });
  },
});
