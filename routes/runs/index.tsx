import { page } from "../../lib/web/mod.ts";
import { define } from "../../lib/state.ts";
import { listRuns } from "../../lib/engine/run_view.ts";
import { RunList } from "../../components/RunList.tsx";

export const handler = define.handlers({
  async GET(ctx) {
    return page({
      runs: await listRuns(ctx.state.services.db, { limit: 100 }),
    });
  },
});

export default define.page<typeof handler>(({ data }) => (
  <section>
    <h1>Runs</h1>
    <RunList runs={data.runs} />
  </section>
));
