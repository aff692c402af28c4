import { define } from "../../../../../lib/state.ts";
import { HttpError } from "../../../../../lib/web/mod.ts";
import { getRunView } from "../../../../../lib/engine/run_view.ts";
import { idParam } from "../../../../../lib/api/problem.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const run = await getRunView(
      ctx.state.services.db,
      idParam(ctx.params.id, "Run"),
    );
    if (!run) throw new HttpError(404, `Run "${ctx.params.id}" not found`);
    return ctx.json(run);
  },
});
