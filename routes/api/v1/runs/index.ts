import { define } from "../../../../lib/state.ts";
import { listRuns } from "../../../../lib/engine/run_view.ts";
import { validationError } from "../../../../lib/api/problem.ts";
import { runsQuerySchema } from "../../../../lib/engine/runs_query.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const parsed = runsQuerySchema.safeParse(
      Object.fromEntries(
        [...ctx.url.searchParams].filter(([, value]) => value !== ""),
      ),
    );
    if (!parsed.success) throw validationError("runs query", parsed.error);
    return ctx.json(
      await listRuns(ctx.state.services.db, {
        pipelineId: parsed.data.pipeline_id,
        limit: parsed.data.limit,
      }),
    );
  },
});
