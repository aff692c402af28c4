// Entry point of `deno task bench <name> [options]`: runs `bench/<name>.ts`,
// whose exported `run(args)` measures one thing against its baselines.

const BENCH_DIR = import.meta.dirname!;

/** What a benchmark module exports. */
export interface BenchmarkModule {
  /** Runs the benchmark with the arguments after its name. */
  run(args: string[]): Promise<void>;
}

/** The benchmarks in `bench/`: every top-level `<name>.ts` but this file and tests. */
export async function listBenchmarks(dir = BENCH_DIR): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const match = /^([a-z0-9_]+)\.ts$/.exec(entry.name);
    if (!entry.isFile || !match) continue;
    const name = match[1];
    if (name === "main" || name.endsWith("_test")) continue;
    names.push(name);
  }
  return names.sort();
}

async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  const available = await listBenchmarks();
  if (!name || name === "--help" || name === "-h") {
    console.error(
      `Usage: deno task bench <name> [options]\nBenchmarks: ${
        available.join(", ")
      }`,
    );
    return name ? 0 : 2;
  }
  if (!available.includes(name)) {
    console.error(
      `Unknown benchmark "${name}": choose one of ${available.join(", ")}`,
    );
    return 2;
  }
  const module = await import(`./${name}.ts`) as Partial<BenchmarkModule>;
  if (typeof module.run !== "function") {
    console.error(
      `Cannot run benchmark "${name}": bench/${name}.ts exports no run(args)`,
    );
    return 2;
  }
  await module.run(rest);
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(
      error instanceof Error ? (error.stack ?? error.message) : error,
    );
    Deno.exit(1);
  }
}
