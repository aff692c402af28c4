import { page } from "../../lib/web/mod.ts";
import { define } from "../../lib/state.ts";
import { listPipelines } from "../../lib/pipeline/pipeline_store.ts";
import { formatTime } from "../../components/format.ts";
import { can } from "../../lib/rbac/permissions.ts";

export const handler = define.handlers({
  async GET(ctx) {
    return page({ pipelines: await listPipelines(ctx.state.services.db) });
  },
});

export default define.page<typeof handler>(({ data, state }) => (
  <section>
    <h1>Pipelines</h1>
    {can(state.user, "pipeline.create") && (
      <p>
        <a href="/pipelines/new" id="new-pipeline">New pipeline</a>
      </p>
    )}
    {data.pipelines.length === 0
      ? (
        <p class="hint">
          No pipelines yet. <a href="/load-csv">Load a CSV</a>{" "}
          to create one, or POST a definition to <code>/api/v1/pipelines</code>.
        </p>
      )
      : (
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Description</th>
              <th>Steps</th>
              <th>Version</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {data.pipelines.map((p) => (
              <tr key={p.id}>
                <td>
                  <a href={`/pipelines/${p.id}`}>{p.name}</a>
                </td>
                <td>{p.description}</td>
                <td>{p.definition.steps.length}</td>
                <td>{p.current_version}</td>
                <td>{formatTime(new Date(p.updated_at).toISOString())}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
  </section>
));
