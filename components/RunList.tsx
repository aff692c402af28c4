// A table of PipelineRuns.

import type { RunView } from "../lib/engine/run_view.ts";
import { StatusBadge } from "./StatusBadge.tsx";
import { formatDuration, formatTime } from "./format.ts";

/** Props of {@linkcode RunList}. */
export interface RunListProps {
  runs: Omit<RunView, "tasks">[];
}

/** Recent runs, newest first. */
export function RunList({ runs }: RunListProps) {
  if (runs.length === 0) return <p class="hint">No runs yet.</p>;
  return (
    <table class="runs">
      <thead>
        <tr>
          <th>Run</th>
          <th>Pipeline</th>
          <th>Status</th>
          <th>Trigger</th>
          <th>Started</th>
          <th>Duration</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <tr key={run.id}>
            <td>
              <a href={`/runs/${run.id}`}>#{run.id}</a>
            </td>
            <td>
              <a href={`/pipelines/${run.pipeline_id}`}>{run.pipeline_name}</a>
            </td>
            <td>
              <StatusBadge status={run.status} />
            </td>
            <td>{run.trigger}</td>
            <td>{formatTime(run.started_at ?? run.created_at)}</td>
            <td>{formatDuration(run.duration_ms)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
