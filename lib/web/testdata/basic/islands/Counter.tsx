import { type Signal, useSignal } from "@preact/signals";

export interface CounterProps {
  start: Signal<number> | number;
  label: string;
  onDone?: () => void;
}

export default function Counter(props: CounterProps) {
  const fallback = useSignal(typeof props.start === "number" ? props.start : 0);
  const count = typeof props.start === "number" ? fallback : props.start;
  return (
    <>
      <button
        type="button"
        class="etl-counter-island"
        onClick={() => count.value++}
      >
        {props.label}: {count}
      </button>
      {/* Hydration rewrites this text if `start` did not arrive as a signal. */}
      <span class="start-kind">
        {typeof props.start === "number" ? "plain" : "signal"}
      </span>
    </>
  );
}
