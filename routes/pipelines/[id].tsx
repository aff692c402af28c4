import { recordAudit } from "../../lib/audit/audit_log.ts";
import { requestActor } from "../../lib/auth/request_actor.ts";
import { HttpError, page } from "../../lib/web/mod.ts";
import { define } from "../../lib/state.ts";
import { getPipeline } from "../../lib/pipeline/pipeline_store.ts";
import { listRuns } from "../../lib/engine/run_view.ts";
import { startPipelineRun } from "../../lib/engine/start_run.ts";
import { idParam, ProblemError } from "../../lib/api/problem.ts";
import { setShares } from "../../lib/rbac/shares.ts";
import { sharedUserIds, sharingView } from "../../lib/rbac/sharing_view.ts";
import { SharesSection } from "../../components/SharesSection.tsx";
import { RunList } from "../../components/RunList.tsx";
import { can } from "../../lib/rbac/permissions.ts";

async function load(
  ctx: {
    params: Record<string, string>;
    state: import("../../lib/state.ts").State;
  },
) {
  const id = idParam(ctx.params.id, "Pipeline");
  const pipeline = await getPipeline(ctx.state.services.db, id);
  if (!pipeline) {
    throw new HttpError(404, `Pipeline "${ctx.params.id}" not found`);
  }
  return pipeline;
}

export const handler = define.handlers({
  async GET(ctx) {
    const pipeline = await load(ctx);
    const runs = await listRuns(ctx.state.services.db, {
      pipelineId: pipeline.id,
      limit: 20,
    });
    return page({
      pipeline,
      runs,
      sharing: await sharingView(ctx.state, "pipeline", pipeline.id),
      shared: ctx.url.searchParams.has("shared"),
    });
  },
  // The Run button, and the share form (`_action=share`, which authorize()
  // checks as pipeline.share: route_policies.ts).
  async POST(ctx) {
    const pipeline = await load(ctx);
    // The Run button posts an empty form; a bodyless POST means the same.
    const form = await ctx.req.formData().catch(() => new FormData());
    if (form.get("_action") === "share") {
      const userIds = sharedUserIds(form);
      if (!userIds) {
        throw new ProblemError(
          422,
          `Cannot share pipeline "${pipeline.name}": user must be user ids`,
          [{ field: "user", message: "must be user ids" }],
        );
      }
      const shares = await setShares(
        ctx.state.services.db,
        "pipeline",
        pipeline.id,
        userIds,
      );
      await recordAudit(ctx.state.services.db, {
        actor: requestActor(ctx.state),
        action: "pipeline.share",
        target: { type: "pipeline", id: pipeline.id, name: pipeline.name },
        ip: ctx.state.ip,
        detail: { userIds: shares.map((share) => share.userId) },
      });
      return ctx.redirect(`/pipelines/${pipeline.id}?shared`);
    }
    const runId = await startPipelineRun(ctx.state.services.db, pipeline.id, {
      trigger: "manual",
      createdBy: ctx.state.user?.userId,
    });
    await recordAudit(ctx.state.services.db, {
      actor: requestActor(ctx.state),
      action: "pipeline.run",
      target: { type: "pipeline", id: pipeline.id, name: pipeline.name },
      ip: ctx.state.ip,
      detail: { runId, trigger: "manual" },
    });
    return ctx.redirect(`/runs/${runId}`);
  },
});

export default define.page<typeof handler>(({ data, state }) => (
  <section>
    <h1>{data.pipeline.name}</h1>
    <p>{data.pipeline.description}</p>
    {data.sharing.ownerEmail && (
      <p class="hint">
        Owner <span id="owner">{data.sharing.ownerEmail}</span>
      </p>
    )}
    {data.shared && <p class="ok" id="saved">Sharing saved.</p>}
    {can(state.user, "pipeline.run", state.ownership ?? undefined) && (
      <form method="post">
        <button type="submit" id="run-pipeline">Run now</button>
      </form>
    )}
    <h2>Steps (version {data.pipeline.current_version})</h2>
    <table>
      <thead>
        <tr>
          <th>Step</th>
          <th>Type</th>
          <th>Connector</th>
          <th>Needs</th>
          <th>Config</th>
        </tr>
      </thead>
      <tbody>
        {data.pipeline.definition.steps.map((step) => (
          <tr key={step.id}>
            <td>{step.id}</td>
            <td>{step.type}</td>
            <td>{step.connector}</td>
            <td>{step.needs.join(", ") || "—"}</td>
            <td>
              <code>{JSON.stringify(step.config)}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
    <h2>Runs</h2>
    <RunList runs={data.runs} />
    <SharesSection sharing={data.sharing} grants="change and run it" />
  </section>
));
