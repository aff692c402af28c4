import { define } from "../../../../../lib/state.ts";
import { HttpError } from "../../../../../lib/web/mod.ts";
import { getPipeline } from "../../../../../lib/pipeline/pipeline_store.ts";
import { idParam } from "../../../../../lib/api/problem.ts";

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
});
