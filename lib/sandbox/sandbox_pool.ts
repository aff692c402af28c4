// A small pool of warm sandbox hosts, so a transform step starts in
// milliseconds instead of waiting for a Deno process to boot. Hosts are single
// use: a step takes one and the pool starts a replacement. Only hosts with the
// default heap cap and no network are kept warm; a step that lists hosts in
// allow_net or sets memory_mb gets a fresh one.

import { type SandboxOptions, SandboxProcess } from "./sandbox_process.ts";

/** Options of a {@linkcode SandboxPool}. */
export interface SandboxPoolOptions {
  /** Warm hosts kept ready (0: start each on demand). */
  size: number;
  /** Heap cap in MB of a step that sets no memory_mb. */
  memoryMb: number;
}

/** Pool options from `ETL_SANDBOX_POOL` (2) and `ETL_SANDBOX_MEMORY_MB` (512). */
export function sandboxPoolOptionsFromEnv(): SandboxPoolOptions {
  const number = (name: string, fallback: number) => {
    const text = Deno.env.get(name);
    if (text === undefined || text === "") return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0) {
      throw new Error(
        `Cannot read ${name}: must be a whole number, not "${text}"`,
      );
    }
    return value;
  };
  return {
    size: number("ETL_SANDBOX_POOL", 2),
    memoryMb: number("ETL_SANDBOX_MEMORY_MB", 512),
  };
}

/** A taken host, and whether it was warm. */
export interface AcquiredSandbox {
  host: SandboxProcess;
  warm: boolean;
}

/** Warm sandbox hosts for transform steps. */
export class SandboxPool {
  readonly options: SandboxPoolOptions;
  #idle: SandboxProcess[] = [];
  #closed = false;

  constructor(options: SandboxPoolOptions) {
    this.options = options;
  }

  /**
   * A host for one step. The pool fills on first use, so a process that never
   * runs a transform never starts one.
   */
  acquire(
    options: { memoryMb?: number; allowNet?: string[] } = {},
  ): AcquiredSandbox {
    if (this.#closed) throw new Error("Cannot start a sandbox: shutting down");
    const wanted: SandboxOptions = {
      memoryMb: options.memoryMb ?? this.options.memoryMb,
      allowNet: options.allowNet ?? [],
    };
    const standard = wanted.memoryMb === this.options.memoryMb &&
      wanted.allowNet.length === 0;
    let host: SandboxProcess | undefined;
    if (standard) {
      while (this.#idle.length > 0 && !host) {
        const candidate = this.#idle.shift()!;
        if (!candidate.exited) host = candidate;
        else candidate.closed().catch(() => {});
      }
      this.#fill();
    }
    if (host) return { host, warm: true };
    return { host: new SandboxProcess(wanted), warm: false };
  }

  /** Starts warm hosts until the pool is full. */
  #fill(): void {
    while (!this.#closed && this.#idle.length < this.options.size) {
      this.#idle.push(
        new SandboxProcess({ memoryMb: this.options.memoryMb, allowNet: [] }),
      );
    }
  }

  /** Kills the warm hosts. */
  async close(): Promise<void> {
    this.#closed = true;
    const idle = this.#idle.splice(0);
    for (const host of idle) host.kill();
    await Promise.all(idle.map((host) => host.closed().catch(() => {})));
  }
}
