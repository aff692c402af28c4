import { signal } from "@preact/signals";
import Counter from "../islands/Counter.tsx";

export default function IslandPage() {
  return (
    <main>
      <h1>Islands</h1>
      <Counter start={signal(3)} label="</script><script>alert(1)</script>" />
    </main>
  );
}
