// One sandbox host subprocess (workers/sandbox_host.ts) seen from the
// platform: started with a V8 heap cap and only the permissions its Worker
// needs, spoken to in frames over stdin/stdout, and SIGKILLed to stop it —
// the only way to stop a busy loop or a runaway allocation in its Worker.

import { fileURLToPath as fromFileUrl } from "node:url";
import {
  encodeFrame,
  type Frame,
  type FrameHeader,
  FrameReader,
} from "../../workers/sandbox_protocol.ts";

const HOST_PATH = fromFileUrl(
  new URL("../../workers/sandbox_host.ts", import.meta.url),
);
const WORKER_PATH = fromFileUrl(
  new URL("../../workers/sandbox_worker.ts", import.meta.url),
);
// How much of the host's stderr is kept to explain a crash.
const STDERR_TAIL = 16 * 1024;
// ArrayBuffers live outside the V8 heap, so --max-old-space-size does not
// bound them: a watchdog reads the host's resident memory (Linux /proc) and
// kills it past twice its heap cap plus this allowance for the runtime.
const RSS_ALLOWANCE_MB = 256;
// Output chunks are cut at 4 MB of text; only a single huge row is bigger.
const MAX_CHUNK_BYTES = 256 * 1024 * 1024;
const RSS_POLL_MS = 100;
const OUT_OF_MEMORY =
  /out of memory|heap limit|allocation failed|invalid table size|invalid array length/i;

/** How a sandbox host is started. */
export interface SandboxOptions {
  /** The host's V8 heap cap in MB. */
  memoryMb: number;
  /** Hosts the step's code may fetch (`host` or `host:port`). */
  allowNet: string[];
}

/** A running sandbox host. Single use: one step's code, then it exits. */
export class SandboxProcess {
  readonly options: SandboxOptions;
  readonly pid: number;
  /** When the process was spawned (performance.now()). */
  readonly spawnedAt: number;
  #child: Deno.ChildProcess;
  #reader: FrameReader;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #stderr = "";
  #stderrDone: Promise<void>;
  #status: Promise<Deno.CommandStatus>;
  #exited = false;
  #watchdog?: ReturnType<typeof setInterval>;
  #overMemory = false;

  constructor(options: SandboxOptions) {
    this.options = options;
    this.spawnedAt = performance.now();
    const args = [
      "run",
      "--quiet",
      "--no-config",
      "--no-lock",
      "--no-prompt",
      "--no-remote",
      "--no-npm",
      "--unstable-worker-options",
      `--allow-read=${WORKER_PATH}`,
      ...(options.allowNet.length > 0
        ? [`--allow-net=${options.allowNet.join(",")}`]
        : []),
      `--v8-flags=--max-old-space-size=${options.memoryMb}`,
      HOST_PATH,
      options.allowNet.join(","),
    ];
    // No environment but what Deno needs to find its cache: the code gets
    // no env permission anyway, and the host needs no secret.
    const env: Record<string, string> = { NO_COLOR: "1" };
    for (const name of ["HOME", "DENO_DIR", "XDG_CACHE_HOME", "PATH"]) {
      const value = Deno.env.get(name);
      if (value !== undefined) env[name] = value;
    }
    this.#child = new Deno.Command(Deno.execPath(), {
      args,
      env,
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.pid = this.#child.pid;
    // The code could post one huge buffer: the platform never reads it.
    this.#reader = new FrameReader(this.#child.stdout, {
      maxBodyBytes: MAX_CHUNK_BYTES,
    });
    this.#stdin = this.#child.stdin.getWriter();
    this.#stdin.closed.catch(() => {});
    this.#stderrDone = this.#readStderr();
    this.#status = this.#child.status.then((status) => {
      this.#exited = true;
      clearInterval(this.#watchdog);
      return status;
    });
    this.#watchdog = setInterval(() => this.#checkMemory(), RSS_POLL_MS);
  }

  /** The resident memory past which the host is killed, in MB. */
  get rssLimitMb(): number {
    return this.options.memoryMb * 2 + RSS_ALLOWANCE_MB;
  }

  #checkMemory(): void {
    let statm: string;
    try {
      statm = Deno.readTextFileSync(`/proc/${this.pid}/statm`);
    } catch {
      // Not Linux, or already gone: nothing to watch.
      clearInterval(this.#watchdog);
      return;
    }
    const residentMb = Number(statm.split(" ")[1]) * 4096 / (1024 * 1024);
    if (residentMb > this.rssLimitMb) {
      this.#overMemory = true;
      this.kill();
    }
  }

  /** Whether the process has ended. */
  get exited(): boolean {
    return this.#exited;
  }

  /** Sends one frame; rejects once the host is gone. */
  async send(header: FrameHeader, body?: Uint8Array): Promise<void> {
    await this.#stdin.write(encodeFrame(header, body));
  }

  /** Closes the host's stdin: it finishes writing and exits. */
  async end(): Promise<void> {
    await this.#stdin.close().catch(() => {});
  }

  /** The next frame from the host, or null once its stdout ended. */
  next(): Promise<Frame | null> {
    return this.#reader.next();
  }

  /** Stops the host at once (SIGKILL), whatever its Worker is doing. */
  kill(): void {
    if (this.#exited) return;
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }

  /** Waits for the process to end (after `end()` or `kill()`) and reaps it. */
  async closed(): Promise<Deno.CommandStatus> {
    const status = await this.#status;
    await this.#reader.cancel();
    await this.#stdin.close().catch(() => {});
    await this.#stderrDone;
    return status;
  }

  /** Why the host ended without finishing, in the user's words. */
  async exitReason(): Promise<string> {
    const status = await this.closed();
    if (this.#overMemory) {
      return `out of memory: the step's code used more than ${this.rssLimitMb} MB (its ${this.options.memoryMb} MB heap and buffers; raise memory_mb)`;
    }
    if (OUT_OF_MEMORY.test(this.#stderr)) {
      return `out of memory: the step's code used more than its ${this.options.memoryMb} MB heap (raise memory_mb)`;
    }
    const lastLine = this.#stderr.trim().split("\n").at(-1)?.slice(0, 500);
    const detail = lastLine ? `: ${lastLine}` : "";
    if (status.signal) {
      return `sandbox was killed by ${status.signal}${detail}`;
    }
    return `sandbox exited with code ${status.code}${detail}`;
  }

  async #readStderr(): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of this.#child.stderr) {
        this.#stderr = (this.#stderr + decoder.decode(chunk, { stream: true }))
          .slice(-STDERR_TAIL);
      }
    } catch {
      // The process was killed mid-write.
    }
  }
}
