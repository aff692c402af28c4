// POST /api/v1/runs/:id/cancel: ends the run CANCELLED; its running steps are
// stopped within seconds (they show RUNNING until their worker confirms).
// A run that already ended is a 409 and is left as it was.

import { define } from "../../../../../lib/state.ts";
import { HttpError } from "../../../../../lib/web/mod.ts";
import { recordAudit } from "../../../../../lib/audit/audit_log.ts";
import { requestActor } from "../../../../../lib/auth/request_actor.ts";
import { cancelRun } from "../../../../../lib/engine/cancel_run.ts";
import { getRunView } from "../../../../../lib/engine/run_view.ts";
import { idParam, ProblemError } from "../../../../../lib/api/problem.ts";

export const handler = define.handlers({
  async POST(ctx) {
    const { db, engine } = ctx.state.services;
    const id = idParam(ctx.params.id, "Run");
    const actor = requestActor(ctx.state);
    const result = await cancelRun(db, id, {
      by: actor.label,
      dataDir: engine.dataDir,
      datasetRoot: engine.datasetRoot,
    });
    if (!result) throw new HttpError(404, `Run "${ctx.params.id}" not found`);
    if (!result.cancelled) {
      throw new ProblemError(
        409,
        `Cannot cancel run "${id}": it already ended (${result.status})`,
      );
    }
    await recordAudit(db, {
      actor,
      action: "run.cancel",
      target: { type: "run", id },
      ip: ctx.state.ip,
      detail: { stopping: result.stopping },
    });
    return ctx.json(await getRunView(db, id));
  },
});
