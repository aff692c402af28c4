// A pipeline's versions, newest first.

import { define } from "../../../../../lib/state.ts";
import { idParam } from "../../../../../lib/api/problem.ts";
import { listVersions } from "../../../../../lib/pipeline/pipeline_versions.ts";

export const handler = define.handlers({
  async GET(ctx) {
    return ctx.json(
      await listVersions(
        ctx.state.services.db,
        idParam(ctx.params.id, "Pipeline"),
      ),
    );
  },
});
