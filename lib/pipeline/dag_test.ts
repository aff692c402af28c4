import assert from "node:assert/strict";
import { buildDag, DagError } from "./dag.ts";

Deno.test("buildDag() orders steps and groups the ones that can run in parallel", () => {
  const dag = buildDag([
    { id: "orders", needs: [] },
    { id: "customers", needs: [] },
    { id: "join", needs: ["orders", "customers"] },
    { id: "load_a", needs: ["join"] },
    { id: "load_b", needs: ["join", "orders"] },
  ]);
  assert.deepEqual(dag.levels, [
    ["orders", "customers"],
    ["join"],
    ["load_a", "load_b"],
  ]);
  assert.deepEqual(dag.order, [
    "orders",
    "customers",
    "join",
    "load_a",
    "load_b",
  ]);
  assert.deepEqual(dag.dependents.get("orders"), ["join", "load_b"]);
});

Deno.test("buildDag() keeps the written order within a level and ignores repeated needs", () => {
  const dag = buildDag([
    { id: "z", needs: [] },
    { id: "b", needs: ["z", "z"] },
    { id: "a", needs: ["z"] },
  ]);
  assert.deepEqual(dag.levels, [["z"], ["b", "a"]]);
});

Deno.test("buildDag() names the steps of a cycle and an unknown step", () => {
  assert.throws(
    () =>
      buildDag([
        { id: "a", needs: ["c"] },
        { id: "b", needs: ["a"] },
        { id: "c", needs: ["b"] },
        { id: "d", needs: [] },
      ]),
    (error) =>
      error instanceof DagError &&
      error.message === "Cannot order steps: they form a cycle: a → c → b → a",
  );
  assert.throws(
    () => buildDag([{ id: "a", needs: ["ghost"] }]),
    (error) =>
      error instanceof DagError &&
      error.message ===
        'Cannot order steps: step "a" needs unknown step "ghost"',
  );
  assert.throws(
    () => buildDag([{ id: "a", needs: ["a"] }]),
    /they form a cycle: a → a/,
  );
});
