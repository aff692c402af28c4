import { HttpError, page } from "../../lib/web/mod.ts";
import { define } from "../../lib/state.ts";
import { getRunView, getTaskLogs } from "../../lib/engine/run_view.ts";
import { idParam } from "../../lib/api/problem.ts";
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
});

export default define.page<typeof handler>(({ data }) => (
  <section>
    <h1>Run #{data.run.id}</h1>
    <RunLive run={data.run} />
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
