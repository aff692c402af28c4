// Test helper: runs `deno run --allow-all cli/etl.ts …` as a real process
// with only the environment a test gives it (plus PATH, HOME, DENO_DIR).

const ETL = new URL("./etl.ts", import.meta.url).pathname;
const ROOT = new URL("../", import.meta.url).pathname;

/** What a CLI process printed and how it exited. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `args` and the environment `env`; bounded at two minutes. */
export async function runEtl(
  args: string[],
  env: Record<string, string> = {},
): Promise<CliRun> {
  const inherited: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR", "TMPDIR", "XDG_CACHE_HOME"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) inherited[name] = value;
  }
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", ETL, ...args],
    cwd: ROOT,
    clearEnv: true,
    env: { ...inherited, ETL_LOG_LEVEL: "warn", NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}
