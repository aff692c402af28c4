// The Roll back button of the versions page: saves the chosen old version
// as a new version, then shows the pipeline.

import { define } from "../../../lib/state.ts";
import { recordAudit } from "../../../lib/audit/audit_log.ts";
import { requestActor } from "../../../lib/auth/request_actor.ts";
import { idParam, validationError } from "../../../lib/api/problem.ts";
import {
  rollbackPipeline,
  rollbackRequestSchema,
} from "../../../lib/pipeline/pipeline_versions.ts";
import { z } from "zod";

const rollbackFormSchema = rollbackRequestSchema.extend({
  version: z.coerce.number().int().positive(),
});

export const handler = define.handlers({
  async POST(ctx) {
    const { db } = ctx.state.services;
    const id = idParam(ctx.params.id, "Pipeline");
    const form = await ctx.req.formData().catch(() => new FormData());
    const parsed = rollbackFormSchema.safeParse({
      version: form.get("version") ?? undefined,
      message: form.get("message") || undefined,
    });
    if (!parsed.success) throw validationError("rollback", parsed.error);
    const saved = await rollbackPipeline(db, id, parsed.data.version, {
      author: ctx.state.user,
      message: parsed.data.message,
    });
    if (saved.action === "update") {
      await recordAudit(db, {
        actor: requestActor(ctx.state),
        action: "pipeline.rollback",
        target: { type: "pipeline", id, name: saved.name },
        ip: ctx.state.ip,
        detail: { version: saved.version, restored: parsed.data.version },
      });
    }
    return ctx.redirect(`/pipelines/${id}?rolled_back=${saved.version}`);
  },
});
