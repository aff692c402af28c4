// transform: the step's TypeScript or JavaScript runs over the rows of the
// step it needs, in a sandbox host subprocess (lib/sandbox/), and what it
// returns is staged as this step's dataset, with columns inferred from the
// returned values. The step's signal (timeout or cancel) SIGKILLs the host.

import { readDataset, stageDataset } from "../../dataset/dataset_store.ts";
import type { StepContext, StepResult } from "./step_context.ts";
import type { StepDefinition } from "../../pipeline/pipeline_schema.ts";
import { loadRunContext } from "../run_context.ts";
import { SandboxPool } from "../../sandbox/sandbox_pool.ts";
import { SandboxSession } from "../../sandbox/sandbox_session.ts";

type TransformStep = Extract<StepDefinition, { type: "transform" }>;

// Used when the engine was wired without a pool (no warm hosts).
let fallbackPool: SandboxPool | undefined;

/** Runs a transform step from its input's staged dataset. */
export async function runTransformStep(ctx: StepContext): Promise<StepResult> {
  const step = ctx.step as TransformStep;
  const [input] = ctx.inputs;
  if (!input) {
    throw new Error(
      `Cannot transform: step "${step.id}" has no input dataset`,
    );
  }
  const context = await loadRunContext(ctx.deps.db, ctx.runId);
  const pool = ctx.deps.sandboxes ??
    (fallbackPool ??= new SandboxPool({ size: 0, memoryMb: 512 }));
  const { host, warm } = pool.acquire({
    memoryMb: step.memory_mb,
    allowNet: step.allow_net,
  });
  await ctx.log(
    "info",
    `running ${step.language} (${step.mode} mode) over ${input.rowCount} rows in sandbox pid ${host.pid} (${
      warm ? "warm" : "cold"
    }, ${host.options.memoryMb} MB heap${
      step.allow_net.length ? `, net: ${step.allow_net.join(", ")}` : ", no net"
    })`,
  );
  const session = new SandboxSession({
    host,
    init: {
      stepId: step.id,
      code: step.code,
      language: step.language,
      mode: step.mode,
      params: context.params,
      run: {
        id: context.run.id,
        pipeline: context.run.pipeline,
        scheduled_date: context.run.scheduled_date,
      },
      columns: input.columns,
      allowNet: step.allow_net,
    },
    input: readDataset(input),
    signal: ctx.signal,
    log: (level, message) => ctx.log(level, message),
    onProgress: (counts) => ctx.progress(counts),
  });
  const staged = await stageDataset(ctx.datasetDir, session.outputs(), {
    signal: ctx.signal,
  });
  const outcome = session.outcome!;
  // The columns are known only once every row was seen (types widen).
  const dataset = { ...staged, columns: outcome.columns };
  // A local dataset's description is rewritten with them (an object
  // store's dataset has none to fix: its columns live in the dataset table).
  if (!ctx.datasetDir.includes("://")) {
    await Deno.writeTextFile(
      `${ctx.datasetDir}/dataset.json`,
      JSON.stringify(dataset),
    );
  }
  await ctx.log(
    "info",
    `transformed ${outcome.rowsIn} rows into ${outcome.rowsOut} (${
      outcome.columns.map((c) => `${c.name} ${c.type}`).join(", ") ||
      "no columns"
    })`,
  );
  return { rowsIn: outcome.rowsIn, rowsOut: outcome.rowsOut, dataset };
}
