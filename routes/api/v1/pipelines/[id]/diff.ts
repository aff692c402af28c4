// What changed between two versions: `?from=N&to=M` (default: the previous
// version → the current one), as a unified diff of their canonical YAML.

import { define } from "../../../../../lib/state.ts";
import { idParam } from "../../../../../lib/api/problem.ts";
import {
  diffRange,
  diffVersions,
} from "../../../../../lib/pipeline/pipeline_versions.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const { db } = ctx.state.services;
    const id = idParam(ctx.params.id, "Pipeline");
    const { from, to } = await diffRange(db, id, {
      from: ctx.url.searchParams.get("from"),
      to: ctx.url.searchParams.get("to"),
    });
    return ctx.json({ from, to, diff: await diffVersions(db, id, from, to) });
  },
});
