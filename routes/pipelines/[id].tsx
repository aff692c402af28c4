import { recordAudit } from "../../lib/audit/audit_log.ts";
import { buildDag } from "../../lib/pipeline/dag.ts";
import { requestActor } from "../../lib/auth/request_actor.ts";
import { HttpError, page } from "../../lib/web/mod.ts";
import { define } from "../../lib/state.ts";
import { getPipeline } from "../../lib/pipeline/pipeline_store.ts";
import { listRuns } from "../../lib/engine/run_view.ts";
import { nextOccurrence } from "../../lib/scheduler/due_occurrences.ts";
import type { PipelineDefinition } from "../../lib/pipeline/pipeline_schema.ts";
import { formatTime } from "../../components/format.ts";
import { startPipelineRun } from "../../lib/engine/start_run.ts";
import {
  type FieldError,
  idParam,
  ProblemError,
} from "../../lib/api/problem.ts";
import {
  isScheduledDateDefault,
  type ParamDeclaration,
  paramRequired,
  paramsFromForm,
  resolveRunParams,
} from "../../lib/pipeline/params.ts";
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

type PageCtx = Parameters<typeof load>[0] & { url: URL };

async function pageData(
  ctx: PageCtx,
  pipeline: Awaited<ReturnType<typeof load>>,
  run: { values: Record<string, unknown>; errors: FieldError[] } = {
    values: {},
    errors: [],
  },
) {
  const runs = await listRuns(ctx.state.services.db, {
    pipelineId: pipeline.id,
    limit: 20,
  });
  return {
    pipeline,
    runs,
    sharing: await sharingView(ctx.state, "pipeline", pipeline.id),
    shared: ctx.url.searchParams.has("shared"),
    rolledBack: ctx.url.searchParams.get("rolled_back"),
    stages: stagesOf(pipeline.definition.steps),
    schedule: scheduleView(pipeline.definition),
    /** What the run form posted (re-shown with its errors), by parameter. */
    runValues: run.values,
    runErrors: run.errors,
  };
}

/** The schedule as shown, with its next occurrence (UTC). */
function scheduleView(definition: PipelineDefinition) {
  const schedule = definition.schedule;
  if (!schedule) return null;
  const next = nextOccurrence(schedule, new Date());
  return { ...schedule, next: next ? next.toISOString() : null };
}

export const handler = define.handlers({
  async GET(ctx) {
    const pipeline = await load(ctx);
    return page(await pageData(ctx, pipeline));
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
    const declared = pipeline.definition.params;
    const given = paramsFromForm(declared, form);
    const resolved = resolveRunParams(declared, given);
    if (!resolved.ok) {
      return page(
        await pageData(ctx, pipeline, {
          values: given,
          errors: resolved.errors,
        }),
        { status: 422 },
      );
    }
    const runId = await startPipelineRun(ctx.state.services.db, pipeline.id, {
      trigger: "manual",
      params: resolved.values,
      createdBy: ctx.state.user?.userId,
    });
    await recordAudit(ctx.state.services.db, {
      actor: requestActor(ctx.state),
      action: "pipeline.run",
      target: { type: "pipeline", id: pipeline.id, name: pipeline.name },
      ip: ctx.state.ip,
      detail: { runId, trigger: "manual", params: resolved.values },
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
    {data.schedule && (
      <p class="hint" id="schedule">
        Schedule <code>{data.schedule.cron}</code>{" "}
        ({data.schedule.timezone}, catch-up {data.schedule.catchup}) · next run
        {" "}
        <span id="next-run">{formatTime(data.schedule.next)}</span> UTC
      </p>
    )}
    {data.pipeline.definition.max_concurrent_runs && (
      <p class="hint" id="max-concurrent-runs">
        At most {data.pipeline.definition.max_concurrent_runs}{" "}
        run{data.pipeline.definition.max_concurrent_runs === 1 ? "" : "s"}{" "}
        at once
      </p>
    )}
    <p class="connector-links" id="pipeline-links">
      <a href={`/pipelines/${data.pipeline.id}/versions`} id="versions-link">
        Versions
      </a>{" "}
      ·{" "}
      <a
        href={`/api/v1/pipelines/${data.pipeline.id}/export?format=yaml`}
        id="export-link"
      >
        Export YAML
      </a>
      {can(state.user, "pipeline.edit", state.ownership ?? undefined) && (
        <>
          {" "}
          ·{" "}
          <a href={`/pipelines/${data.pipeline.id}/edit`} id="edit-link">
            Edit YAML
          </a>
        </>
      )}
    </p>
    {data.shared && <p class="ok" id="saved">Sharing saved.</p>}
    {data.rolledBack && (
      <p class="ok" id="rolled-back">
        Rolled back to version {data.rolledBack}.
      </p>
    )}
    {can(state.user, "pipeline.run", state.ownership ?? undefined) && (
      <form method="post" class="form run-form" id="run-form">
        {data.runErrors.length > 0 && (
          <ul class="error" id="run-errors" role="alert">
            {data.runErrors.map((e) => (
              <li key={e.field + e.message}>
                {e.field}: {e.message}
              </li>
            ))}
          </ul>
        )}
        {/* Stored as jsonb, which keeps no key order: by name. */}
        {Object.entries(data.pipeline.definition.params ?? {}).sort((
          [a],
          [b],
        ) =>
          a < b ? -1 : 1
        ).map((
          [name, declaration],
        ) => (
          <ParamInput
            key={name}
            name={name}
            declaration={declaration}
            value={data.runErrors.length > 0 ? data.runValues[name] : undefined}
            reposted={data.runErrors.length > 0}
            errors={data.runErrors.filter((e) => e.field === `params.${name}`)}
          />
        ))}
        <button type="submit" id="run-pipeline">Run now</button>
      </form>
    )}
    <h2>Steps (version {data.pipeline.current_version})</h2>
    <p class="hint">
      Steps of the same stage run in parallel; each stage waits for the ones
      before it.
    </p>
    <table id="steps">
      <thead>
        <tr>
          <th>Stage</th>
          <th>Step</th>
          <th>Type</th>
          <th>Connector</th>
          <th>Needs</th>
          <th>Config</th>
        </tr>
      </thead>
      <tbody>
        {data.stages.map(({ step, stage }) => (
          <tr key={step.id}>
            <td>{stage + 1}</td>
            <td>{step.id}</td>
            <td>{step.type}</td>
            <td>{"connector" in step ? step.connector : "—"}</td>
            <td>{step.needs.join(", ") || "—"}</td>
            <td>
              <code>{JSON.stringify(stepSettings(step))}</code>
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

/** One input of the run form, by the parameter's type. */
function ParamInput(
  { name, declaration, value, reposted, errors }: {
    name: string;
    declaration: ParamDeclaration;
    /** The value posted, when the form comes back with errors. */
    value: unknown;
    reposted: boolean;
    errors: FieldError[];
  },
) {
  const fallback = isScheduledDateDefault(declaration.default)
    ? undefined
    : declaration.default;
  const shown = reposted ? value : fallback;
  const common = {
    name: `params.${name}`,
    id: `param-${name}`,
    "aria-invalid": errors.length > 0 || undefined,
  };
  const required = paramRequired(declaration) &&
    declaration.default === undefined;
  let control;
  switch (declaration.type) {
    case "boolean":
      control = <input {...common} type="checkbox" checked={shown === true} />;
      break;
    case "enum":
      control = (
        <select {...common} required={required}>
          {(!required || shown === undefined) && <option value="" />}
          {(declaration.values ?? []).map((option) => (
            <option key={option} value={option} selected={option === shown}>
              {option}
            </option>
          ))}
        </select>
      );
      break;
    default:
      control = (
        <input
          {...common}
          type={declaration.type === "number"
            ? "number"
            : declaration.type === "date"
            ? "date"
            : "text"}
          step={declaration.type === "number" ? "any" : undefined}
          required={required}
          value={shown === undefined || shown === null ? "" : String(shown)}
        />
      );
  }
  return (
    <label>
      {name}{" "}
      <span class="hint">
        {declaration.type}
        {isScheduledDateDefault(declaration.default) &&
          " · empty: the run's scheduled date"}
        {declaration.description && ` · ${declaration.description}`}
      </span>
      {control}
      {errors.map((e) => (
        <span class="error" id={`param-${name}-error`} key={e.message}>
          {e.message}
        </span>
      ))}
    </label>
  );
}

/** The steps in run order, each with its parallel stage (DAG level). */
function stagesOf<T extends { id: string; needs: string[] }>(
  steps: T[],
): { step: T; stage: number }[] {
  const { levels } = buildDag(steps);
  const byId = new Map(steps.map((step) => [step.id, step]));
  return levels.flatMap((ids, stage) =>
    ids.map((id) => ({ step: byId.get(id)!, stage }))
  );
}

// What a step is set to do: its config, or (sql, http) its own fields.
function stepSettings(step: { type: string }): unknown {
  if ("config" in step) return step.config;
  const {
    id: _id,
    type: _type,
    needs: _needs,
    connector: _connector,
    ...rest
  } = step as Record<string, unknown>;
  return rest;
}
