// The pipeline collection: list, and create (or add a version) from a JSON
// or YAML body; `?dry_run=1` only says what a save would do.

import { define } from "../../../../lib/state.ts";
import { listPipelines } from "../../../../lib/pipeline/pipeline_store.ts";
import {
  auditPipelineSave,
  readPipelineBody,
  savePipelineText,
  versionMessage,
} from "../../../../lib/pipeline/pipeline_upload.ts";
import { requestActor } from "../../../../lib/auth/request_actor.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const pipelines = await listPipelines(ctx.state.services.db);
    return ctx.json(pipelines.map(({ version_id: _, ...p }) => p));
  },
  // Creates a pipeline, or a new version of the one with the same name.
  async POST(ctx) {
    const message = versionMessage(ctx.url);
    const dryRun = ["1", "true"].includes(
      ctx.url.searchParams.get("dry_run") ?? "",
    );
    const body = await readPipelineBody(ctx.req);
    const saved = await savePipelineText(ctx.state.services.db, body, {
      author: ctx.state.user,
      message,
      dryRun,
    });
    if (dryRun) {
      const { name, action, version } = saved;
      return ctx.json({ name, action, version });
    }
    await auditPipelineSave(ctx.state.services.db, saved, {
      actor: requestActor(ctx.state),
      ip: ctx.state.ip,
      message,
    });
    const { id, name, version, action } = saved;
    return ctx.json({ id, name, version, action }, {
      status: action === "unchanged" ? 200 : 201,
    });
  },
});
