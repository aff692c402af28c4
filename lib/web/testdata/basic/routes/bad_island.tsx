import Counter from "../islands/Counter.tsx";

export default function BadIsland() {
  return <Counter start={1} label="x" onDone={() => {}} />;
}
