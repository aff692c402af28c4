// Keeps a run page current: subscribes to the run's Server-Sent Events and
// re-renders on each snapshot, until the run ends.

import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import type { RunView } from "../lib/engine/run_view.ts";
import { RunDetails } from "../components/RunDetails.tsx";

/** Props of {@linkcode RunLive}. */
export interface RunLiveProps {
  run: RunView;
  /** Show the Cancel / Re-run buttons (the user may manage this run). */
  manage?: boolean;
}

const FINAL = ["SUCCESS", "FAILURE", "CANCELLED"];

/** The live run view. */
export default function RunLive(props: RunLiveProps) {
  const run = useSignal(props.run);
  useEffect(() => {
    if (FINAL.includes(props.run.status)) return;
    const source = new EventSource(`/api/v1/runs/${props.run.id}/events`);
    source.addEventListener("run", (event) => {
      run.value = JSON.parse((event as MessageEvent).data);
      if (FINAL.includes(run.value.status)) source.close();
    });
    return () => source.close();
  }, []);
  return <RunDetails run={run.value} manage={props.manage} />;
}
