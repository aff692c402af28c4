// One PipelineRun with its TaskRuns: rendered on the server and re-rendered
// live by the RunLive island.

import type { RunView } from "../lib/engine/run_view.ts";
import { StatusBadge } from "./StatusBadge.tsx";
import { formatCount, formatDuration, formatTime } from "./format.ts";

/** Props of {@linkcode RunDetails}. */
export interface RunDetailsProps {
  run: RunView;
  /** Show the Cancel / Re-run buttons (the user may manage this run). */
  manage?: boolean;
}

const OPEN = ["PENDING", "RUNNING"];

/** The run's summary and its task table. */
export function RunDetails({ run, manage }: RunDetailsProps) {
  return (
    <div class="run" data-run-status={run.status}>
      {manage && <RunActions run={run} />}
      <dl class="facts">
        <dt>Status</dt>
        <dd id="run-status">
          <StatusBadge status={run.status} />
        </dd>
        <dt>Pipeline</dt>
        <dd>
          <a href={`/pipelines/${run.pipeline_id}`}>{run.pipeline_name}</a>{" "}
          (version {run.version})
        </dd>
        {run.scheduled_for && (
          <>
            <dt>Scheduled for</dt>
            <dd id="run-scheduled-for">{formatTime(run.scheduled_for)}</dd>
          </>
        )}
        <dt>Started</dt>
        <dd>{formatTime(run.started_at)}</dd>
        <dt>Finished</dt>
        <dd>{formatTime(run.finished_at)}</dd>
        <dt>Duration</dt>
        <dd>{formatDuration(run.duration_ms)}</dd>
      </dl>
      {run.waiting && run.status === "PENDING" && (
        <p class="hint" id="run-waiting">{run.waiting}</p>
      )}
      {run.error && <p class="error">{run.error}</p>}
      <table class="tasks">
        <thead>
          <tr>
            <th>Step</th>
            <th>Type</th>
            <th>Status</th>
            <th>Started</th>
            <th>Finished</th>
            <th>Duration</th>
            <th class="num">Rows in</th>
            <th class="num">Rows out</th>
          </tr>
        </thead>
        <tbody>
          {run.tasks.map((task) => (
            <>
              <tr
                key={task.id}
                data-step={task.step_key}
                data-status={task.status}
              >
                <td>{task.step_key}</td>
                <td>{task.step_type}</td>
                <td>
                  <StatusBadge status={task.status} />
                </td>
                <td>{formatTime(task.started_at)}</td>
                <td>{formatTime(task.finished_at)}</td>
                <td>{formatDuration(task.duration_ms)}</td>
                <td class="num rows-in">{formatCount(task.rows_in)}</td>
                <td class="num rows-out">{formatCount(task.rows_out)}</td>
              </tr>
              {task.error && (
                <tr class="task-error" key={`${task.id}-error`}>
                  <td colSpan={8}>{task.error}</td>
                </tr>
              )}
            </>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * Cancel while the run is open, Re-run once it ended: plain form posts to the
 * run page, so they work before (or without) the island's script.
 */
function RunActions({ run }: { run: RunView }) {
  const open = OPEN.includes(run.status);
  return (
    <form
      method="post"
      action={`/runs/${run.id}`}
      class={`run-actions${open ? " danger" : ""}`}
      id="run-actions"
    >
      <input type="hidden" name="_action" value={open ? "cancel" : "rerun"} />
      {open
        ? (
          <button type="submit" id="cancel-run">
            Cancel run
          </button>
        )
        : <button type="submit" id="rerun-run">Re-run</button>}
    </form>
  );
}
