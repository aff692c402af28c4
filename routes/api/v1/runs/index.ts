import { define } from "../../../../lib/state.ts";
import { listRuns } from "../../../../lib/engine/run_view.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const pipelineId = ctx.url.searchParams.get("pipeline_id");
    const limit = ctx.url.searchParams.get("limit");
    return ctx.json(
      await listRuns(ctx.state.services.db, {
        pipelineId: pipelineId ? Number(pipelineId) || -1 : undefined,
        limit: limit ? Math.max(1, Number(limit) || 50) : undefined,
      }),
    );
  },
});
