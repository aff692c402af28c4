import { HttpError, page } from "../../lib/web/mod.ts";
import { define } from "../../lib/state.ts";
import { getRunView, getTaskLogs } from "../../lib/engine/run_view.ts";
import { idParam } from "../../lib/api/problem.ts";
import { recordAudit } from "../../lib/audit/audit_log.ts";
import { requestActor } from "../../lib/auth/request_actor.ts";
import { cancelRun } from "../../lib/engine/cancel_run.ts";
import { rerunRun } from "../../lib/engine/rerun_run.ts";
import { can } from "../../lib/rbac/permissions.ts";
import RunLive from "../../islands/RunLive.tsx";

export const handler = define.handlers({
  async GET(ctx) {
    const { db } = ctx.state.services;
    const id = idParam(ctx.params.id, "Run");
    const run = await getRunView(db, id);
    if (!run) throw new HttpError(404, `Run "${ctx.params.id}" not found`);
    const logs = await Promise.all(
      run.tasks.map(async (task) => ({
        step: task.step_key,
        lines: (await getTaskLogs(db, id, task.id)) ?? [],
      })),
    );
    return page({ run, logs });
  },
  // The Cancel (`_action=cancel`) and Re-run (`_action=rerun`) buttons;
  // authorize() checked run.manage (route_policies.ts).
  async POST(ctx) {
    const { db, engine } = ctx.state.services;
    const id = idParam(ctx.params.id, "Run");
    const form = await ctx.req.formData().catch(() => new FormData());
    const actor = requestActor(ctx.state);
    switch (form.get("_action")) {
      case "cancel": {
        const result = await cancelRun(db, id, {
          by: actor.label,
          dataDir: engine.dataDir,
        });
        if (!result) throw new HttpError(404, `Run "${id}" not found`);
        // A run that ended meanwhile is shown as it ended.
        if (result.cancelled) {
          await recordAudit(db, {
            actor,
            action: "run.cancel",
            target: { type: "run", id },
            ip: ctx.state.ip,
            detail: { stopping: result.stopping },
          });
        }
        return ctx.redirect(`/runs/${id}`);
      }
      case "rerun": {
        const rerun = await rerunRun(db, id, {
          trigger: "manual",
          createdBy: ctx.state.user?.userId,
        });
        if (!rerun) throw new HttpError(404, `Run "${id}" not found`);
        await recordAudit(db, {
          actor,
          action: "run.rerun",
          target: { type: "run", id },
          ip: ctx.state.ip,
          detail: {
            runId: rerun.runId,
            pipelineId: rerun.pipeline.id,
            params: rerun.params,
          },
        });
        return ctx.redirect(`/runs/${rerun.runId}`);
      }
      default:
        throw new HttpError(
          400,
          `Cannot handle the run form: _action must be "cancel" or "rerun"`,
        );
    }
  },
});

export default define.page<typeof handler>(({ data, state }) => (
  <section>
    <h1>Run #{data.run.id}</h1>
    <RunLive
      run={data.run}
      manage={can(state.user, "run.manage", state.ownership ?? undefined)}
    />
    <h2>Logs</h2>
    <p class="hint">As of page load; reload for new lines.</p>
    {data.logs.map((log) => (
      <details key={log.step} open>
        <summary>{log.step}</summary>
        <pre class="log">{log.lines.map((l) => `${l.at.slice(11, 23)} ${l.level.padEnd(5)} ${l.message}\n`).join("")}</pre>
      </details>
    ))}
  </section>
));
