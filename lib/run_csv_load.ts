// Starts a CSV load: validates the request, saves its pipeline (a new
// version when it exists) and starts a run. Shared by the form and the API.

import type { Services } from "./services.ts";
import { csvLoadPipeline, type CsvLoadRequest } from "./pipeline/csv_load.ts";
import { pipelineSchema } from "./pipeline/pipeline_schema.ts";
import {
  ConnectorAccessError,
  PipelineAccessError,
  savePipeline,
  UnknownConnectorError,
} from "./pipeline/pipeline_store.ts";
import { startPipelineRun } from "./engine/start_run.ts";
import { ProblemError } from "./api/problem.ts";
import { HttpError } from "./web/mod.ts";
import type { Principal } from "./auth/principal.ts";
import { recordAudit } from "./audit/audit_log.ts";

/** Saves the CSV load's pipeline and starts it; returns the run and pipeline ids. */
export async function runCsvLoad(
  services: Services,
  request: CsvLoadRequest,
  trigger: "manual" | "api",
  by: { user: Principal | null; ip: string },
): Promise<{ runId: number; pipelineId: number }> {
  const definition = pipelineSchema.parse(
    csvLoadPipeline(request, services.uploadsDir),
  );
  const [target] = await services.db.query<{ kind: string }>(
    "select kind from connector where name = $1",
    [request.connector],
  );
  if (!target || !["postgres", "warehouse"].includes(target.kind)) {
    throw new ProblemError(
      422,
      `Cannot load into connector "${request.connector}": it is not a database connector`,
      [
        {
          field: "connector",
          message: "is not a PostgreSQL or warehouse connector",
        },
      ],
    );
  }
  try {
    const { id } = await savePipeline(services.db, definition, {
      message: "CSV load from the UI",
      author: by.user,
    });
    const runId = await startPipelineRun(services.db, id, {
      trigger,
      createdBy: by.user?.userId,
    });
    await recordAudit(services.db, {
      actor: by.user
        ? { id: by.user.userId, label: by.user.email }
        : { id: null, label: "anonymous" },
      action: "pipeline.run",
      target: { type: "pipeline", id, name: definition.name },
      ip: by.ip,
      detail: { runId, trigger },
    });
    return { runId, pipelineId: id };
  } catch (error) {
    if (error instanceof PipelineAccessError) {
      throw new HttpError(403, error.message);
    }
    if (error instanceof ConnectorAccessError) {
      throw new ProblemError(403, error.message, [{
        field: "connector",
        message: error.message,
      }]);
    }
    if (error instanceof UnknownConnectorError) {
      throw new ProblemError(422, error.message, [{
        field: "connector",
        message: error.message,
      }]);
    }
    throw error;
  }
}
