import { page } from "../lib/web/mod.ts";
import { define } from "../lib/state.ts";
import { listRuns } from "../lib/engine/run_view.ts";
import { listPipelines } from "../lib/pipeline/pipeline_store.ts";
import { RunList } from "../components/RunList.tsx";
import { can } from "../lib/rbac/permissions.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const { db } = ctx.state.services;
    const [runs, pipelines] = await Promise.all([
      listRuns(db, { limit: 10 }),
      listPipelines(db),
    ]);
    return page({ runs, pipelineCount: pipelines.length });
  },
});

export default define.page<typeof handler>(({ data, state }) => (
  <section>
    <h1>Dashboard</h1>
    <p>
      {data.pipelineCount} pipeline{data.pipelineCount === 1 ? "" : "s"}.{" "}
      {can(state.user, "pipeline.create") && (
        <a class="button" href="/load-csv" id="load-csv">Load a CSV</a>
      )}
    </p>
    <h2>Recent runs</h2>
    <RunList runs={data.runs} />
  </section>
));
