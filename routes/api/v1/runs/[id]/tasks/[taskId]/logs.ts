import { define } from "../../../../../../../lib/state.ts";
import { HttpError } from "../../../../../../../lib/web/mod.ts";
import { getTaskLogs } from "../../../../../../../lib/engine/run_view.ts";
import { idParam } from "../../../../../../../lib/api/problem.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const logs = await getTaskLogs(
      ctx.state.services.db,
      idParam(ctx.params.id, "Run"),
      idParam(ctx.params.taskId, "Task run"),
    );
    if (!logs) {
      throw new HttpError(
        404,
        `Task run "${ctx.params.taskId}" of run "${ctx.params.id}" not found`,
      );
    }
    return ctx.json(logs);
  },
});
