// A pipeline's history: every version with its author, time and message,
// links to what each changed, and (for those who may edit) Roll back.

import { HttpError, page } from "../../../lib/web/mod.ts";
import { define } from "../../../lib/state.ts";
import { idParam } from "../../../lib/api/problem.ts";
import { getPipeline } from "../../../lib/pipeline/pipeline_store.ts";
import { listVersions } from "../../../lib/pipeline/pipeline_versions.ts";
import { can } from "../../../lib/rbac/permissions.ts";
import { formatTime } from "../../../components/format.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const { db } = ctx.state.services;
    const pipeline = await getPipeline(db, idParam(ctx.params.id, "Pipeline"));
    if (!pipeline) {
      throw new HttpError(404, `Pipeline "${ctx.params.id}" not found`);
    }
    return page({
      pipeline: { id: pipeline.id, name: pipeline.name },
      versions: await listVersions(db, pipeline.id),
    });
  },
});

export default define.page<typeof handler>(({ data, state }) => {
  const { id, name } = data.pipeline;
  const canEdit = can(
    state.user,
    "pipeline.edit",
    state.ownership ?? undefined,
  );
  return (
    <section>
      <p class="hint">
        <a href={`/pipelines/${id}`}>{name}</a>
      </p>
      <h1>Versions of {name}</h1>
      <table class="versions" id="versions">
        <thead>
          <tr>
            <th>Version</th>
            <th>Author</th>
            <th>Saved</th>
            <th>Message</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {data.versions.map((v) => (
            <tr
              key={v.version}
              data-version={v.version}
              class={v.current ? "current" : undefined}
            >
              <td>
                {v.version}
                {v.current && (
                  <>
                    {" "}
                    <span class="badge badge-current">current</span>
                  </>
                )}
              </td>
              <td>{v.author ?? "—"}</td>
              <td>{formatTime(v.createdAt)}</td>
              <td>{v.message || "—"}</td>
              <td class="version-actions">
                {v.version > 1 && (
                  <a
                    href={`/pipelines/${id}/diff?from=${
                      v.version - 1
                    }&to=${v.version}`}
                    class="diff-previous"
                  >
                    diff with previous
                  </a>
                )}
                {!v.current && canEdit && (
                  <form method="post" action={`/pipelines/${id}/rollback`}>
                    <input type="hidden" name="version" value={v.version} />
                    <button type="submit" id={`rollback-${v.version}`}>
                      Roll back
                    </button>
                  </form>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
});
