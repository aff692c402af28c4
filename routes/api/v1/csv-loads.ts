import { define } from "../../../lib/state.ts";
import { csvLoadSchema } from "../../../lib/pipeline/csv_load.ts";
import { parseJsonBody } from "../../../lib/api/problem.ts";
import { runCsvLoad } from "../../../lib/run_csv_load.ts";

// The API twin of the "Load a CSV" form: { upload | path, connector, table, mode }.
export const handler = define.handlers({
  async POST(ctx) {
    const request = await parseJsonBody(ctx.req, csvLoadSchema, "CSV load");
    const { runId, pipelineId } = await runCsvLoad(
      ctx.state.services,
      request,
      "api",
      ctx.state,
    );
    return ctx.json({ run_id: runId, pipeline_id: pipelineId }, {
      status: 201,
      headers: { location: `/api/v1/runs/${runId}` },
    });
  },
});
