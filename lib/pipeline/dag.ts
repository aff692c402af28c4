// A pipeline's steps as a DAG: the order they can run in and the levels of
// steps that can run in parallel (every step of a level only needs steps of
// earlier levels). The schema refuses cycles; buildDag() says which steps.

import { findCycle } from "./pipeline_schema.ts";

/** A step as the DAG sees it. */
export interface DagStep {
  id: string;
  needs: string[];
}

/** The steps in dependency order, and grouped by parallel level. */
export interface Dag {
  /** Step ids in an order where each comes after everything it needs. */
  order: string[];
  /** Level 0 needs nothing; level n needs only steps of levels below n. */
  levels: string[][];
  /** Ids of the steps that need each step. */
  dependents: Map<string, string[]>;
}

/** Raised for steps that can't be ordered. */
export class DagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DagError";
  }
}

/**
 * Orders `steps` (Kahn's algorithm, keeping the written order among steps
 * that are ready together). Throws a DagError naming the unknown step or the
 * steps of a cycle.
 */
export function buildDag(steps: DagStep[]): Dag {
  const ids = new Set(steps.map((step) => step.id));
  const dependents = new Map<string, string[]>(
    steps.map((step) => [step.id, []]),
  );
  for (const step of steps) {
    for (const need of step.needs) {
      if (!ids.has(need)) {
        throw new DagError(
          `Cannot order steps: step "${step.id}" needs unknown step "${need}"`,
        );
      }
      dependents.get(need)!.push(step.id);
    }
  }
  const level = new Map<string, number>();
  const waiting = new Map(
    steps.map((step) => [step.id, new Set(step.needs).size]),
  );
  let ready = steps.filter((step) => waiting.get(step.id) === 0).map((s) =>
    s.id
  );
  const order: string[] = [];
  const levels: string[][] = [];
  while (ready.length > 0) {
    levels.push(ready);
    const next: string[] = [];
    for (const id of ready) {
      order.push(id);
      level.set(id, levels.length - 1);
      for (const dependent of new Set(dependents.get(id))) {
        const left = waiting.get(dependent)! - 1;
        waiting.set(dependent, left);
        if (left === 0) next.push(dependent);
      }
    }
    // Keep the written order within a level.
    const position = new Map(steps.map((step, i) => [step.id, i]));
    ready = next.sort((a, b) => position.get(a)! - position.get(b)!);
  }
  if (order.length < steps.length) {
    const cycle = findCycle(steps);
    throw new DagError(
      `Cannot order steps: they form a cycle: ${
        (cycle ?? steps.filter((s) => !level.has(s.id)).map((s) => s.id))
          .join(" → ")
      }`,
    );
  }
  return { order, levels, dependents };
}
