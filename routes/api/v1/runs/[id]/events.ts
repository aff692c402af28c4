import { define } from "../../../../../lib/state.ts";
import { HttpError, sseResponse } from "../../../../../lib/web/mod.ts";
import { getRunView } from "../../../../../lib/engine/run_view.ts";
import { watchRun } from "../../../../../lib/engine/watch_run.ts";
import { idParam } from "../../../../../lib/api/problem.ts";

// Server-Sent Events: a `run` event with the whole run (status, tasks, row
// counts) now and after every change, then the stream ends with the run.
export const handler = define.handlers({
  async GET(ctx) {
    const { db, runEvents } = ctx.state.services;
    const id = idParam(ctx.params.id, "Run");
    if (!(await getRunView(db, id))) {
      throw new HttpError(404, `Run "${ctx.params.id}" not found`);
    }
    const signal = ctx.req.signal;
    async function* events() {
      for await (const run of watchRun(db, runEvents, id, signal)) {
        yield { event: "run", data: run };
      }
    }
    return sseResponse(events(), { signal });
  },
});
