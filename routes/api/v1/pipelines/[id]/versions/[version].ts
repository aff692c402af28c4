// One version of a pipeline, with its definition.

import { define } from "../../../../../../lib/state.ts";
import { idParam } from "../../../../../../lib/api/problem.ts";
import { getVersion } from "../../../../../../lib/pipeline/pipeline_versions.ts";

export const handler = define.handlers({
  async GET(ctx) {
    return ctx.json(
      await getVersion(
        ctx.state.services.db,
        idParam(ctx.params.id, "Pipeline"),
        idParam(ctx.params.version, "Version"),
      ),
    );
  },
});
