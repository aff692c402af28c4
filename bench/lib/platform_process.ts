// Runs the platform as a real subprocess (`deno run --allow-all main.ts`) for
// benchmarks: start on a free port, wait until healthy, read its peak memory,
// stop it.

import { resolve } from "node:path";

/** The repository root, where `main.ts` lives. */
export const REPO_ROOT = resolve(import.meta.dirname!, "../..");

/** Options for {@linkcode startPlatform}. */
export interface StartPlatformOptions {
  /** Extra environment (DATABASE_URL, ETL_DATA_DIR, …); PORT and HOST are set here. */
  env: Record<string, string>;
  /** How long to wait for `GET /api/v1/health` to answer 200. */
  readyTimeoutMs?: number;
  /** Copy the platform's output to this process's stderr as it comes. */
  echo?: boolean;
}

/** A running platform process. */
export interface PlatformProcess {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  pid: number;
  /** The last lines the platform wrote (stdout and stderr). */
  outputTail(): string;
  /** `fetch` on the platform as its admin (an API token made at start). */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Stops the process: SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<Deno.CommandStatus>;
}

const TAIL_LINES = 200;

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  tail: string[],
  echo: boolean,
): Promise<void> {
  const decoder = new TextDecoder();
  let pending = "";
  for await (const bytes of stream) {
    pending += decoder.decode(bytes, { stream: true });
    const parts = pending.split("\n");
    pending = parts.pop()!;
    for (const part of parts) {
      tail.push(part);
      if (tail.length > TAIL_LINES) tail.shift();
      if (echo) console.error(`[platform] ${part}`);
    }
  }
  if (pending) tail.push(pending);
}

/** Starts the platform and resolves once it answers `GET /api/v1/health` with 200. */
export async function startPlatform(
  options: StartPlatformOptions,
): Promise<PlatformProcess> {
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "main.ts"],
    cwd: REPO_ROOT,
    env: {
      ETL_ADMIN_EMAIL: BENCH_ADMIN.email,
      ETL_ADMIN_PASSWORD: BENCH_ADMIN.password,
      ...options.env,
      PORT: String(port),
      HOST: "127.0.0.1",
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const tail: string[] = [];
  const drained = Promise.all([
    collect(child.stdout, tail, options.echo ?? false),
    collect(child.stderr, tail, options.echo ?? false),
  ]).catch(() => {});
  let exited: Deno.CommandStatus | undefined;
  const status = child.status.then((value) => (exited = value));
  const outputTail = () => tail.join("\n");
  let stopping: Promise<Deno.CommandStatus> | undefined;
  let token = "";
  const platform: PlatformProcess = {
    url,
    pid: child.pid,
    outputTail,
    fetch(path, init) {
      const headers = new Headers(init?.headers);
      headers.set("authorization", `Bearer ${token}`);
      return fetch(`${url}${path}`, { ...init, headers });
    },
    stop() {
      stopping ??= (async () => {
        if (!exited) {
          try {
            child.kill("SIGTERM");
          } catch { /* already gone */ }
          const timer = setTimeout(() => {
            try {
              child.kill("SIGKILL");
            } catch { /* already gone */ }
          }, 20_000);
          await status;
          clearTimeout(timer);
        }
        await drained;
        return exited!;
      })();
      return stopping;
    },
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
  while (true) {
    if (exited) {
      await drained;
      throw new Error(
        `Cannot start the platform: it exited with code ${exited.code} before answering /api/v1/health:\n${outputTail()}`,
      );
    }
    try {
      const response = await fetch(`${url}/api/v1/health`, {
        signal: AbortSignal.timeout(2_000),
      });
      await response.body?.cancel();
      if (response.status === 200) {
        token = await adminToken(url);
        return platform;
      }
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      await platform.stop();
      throw new Error(
        `Cannot start the platform: /api/v1/health did not answer 200 within ${
          options.readyTimeoutMs ?? 120_000
        } ms:\n${outputTail()}`,
      );
    }
    await new Promise((done) => setTimeout(done, 250));
  }
}

/** The admin every benchmarked platform is started with. */
export const BENCH_ADMIN = {
  email: "bench@example.test",
  password: "benchmark-admin-password",
};

/** Signs in as the bench admin and makes an API token. */
async function adminToken(url: string): Promise<string> {
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(BENCH_ADMIN),
  });
  if (login.status !== 200) {
    throw new Error(
      `Cannot sign in to the platform: ${login.status} ${await login.text()}`,
    );
  }
  await login.body?.cancel();
  const cookie = login.headers.get("set-cookie")!.split(";")[0];
  const created = await fetch(`${url}/api/v1/tokens`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie },
    body: JSON.stringify({ name: "bench" }),
  });
  if (created.status !== 201) {
    throw new Error(
      `Cannot create an API token: ${created.status} ${await created.text()}`,
    );
  }
  return (await created.json()).token;
}

/** Resident memory of a process from `/proc/<pid>/status`, in MiB: peak (VmHWM) and current (VmRSS). */
export async function readMemoryMib(
  pid: number,
): Promise<{ peak: number; current: number }> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, "m").exec(status);
    if (!match) throw new Error(`Cannot read ${name} of process ${pid}`);
    return Number(match[1]) / 1024;
  };
  return { peak: field("VmHWM"), current: field("VmRSS") };
}

/** Ids of the live descendants of `pid` (e.g. sandbox hosts), from `/proc`. */
export async function descendants(pid: number): Promise<number[]> {
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift()!;
    // A child is listed under the thread that spawned it: read every thread's list.
    let children = "";
    try {
      for await (const task of Deno.readDir(`/proc/${parent}/task`)) {
        children += " " +
          await Deno.readTextFile(`/proc/${parent}/task/${task.name}/children`);
      }
    } catch { /* the process is gone */ }
    for (const id of children.trim().split(/\s+/).filter(Boolean)) {
      found.push(Number(id));
      queue.push(Number(id));
    }
  }
  return found;
}
