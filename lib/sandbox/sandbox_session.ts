// One step's code running in a sandbox host: input batches go in (at most a
// few in flight, so memory stays bounded by batch size both ways), output
// batches come out as COPY text for the stager, log lines go to the task log
// (capped), and a host that dies explains why.

import type { LogLevel } from "../log/logger.ts";
import type { Column, RecordBatch } from "../../connectors/types.ts";
import { batchCopyText, batchRowCount } from "../dataset/copy_decode.ts";
import {
  FrameError,
  type SandboxInit,
} from "../../workers/sandbox_protocol.ts";
import type { SandboxProcess } from "./sandbox_process.ts";

// Input batches sent but not yet answered; two keep the host busy while the
// next one is read.
const IN_FLIGHT = 2;
/** Bytes of log a step's code may print before the rest is dropped. */
export const LOG_CAP_BYTES = 1024 * 1024;
/** Log lines a step's code may print (each is a task_log row). */
export const LOG_CAP_LINES = 10_000;

/** Options of {@linkcode SandboxSession}. */
export interface SandboxSessionOptions {
  host: SandboxProcess;
  init: Omit<SandboxInit, "logCap">;
  input: AsyncIterable<RecordBatch>;
  signal?: AbortSignal;
  log(level: LogLevel, message: string): Promise<void> | void;
  onProgress?(counts: { rowsIn: number; rowsOut: number }): void;
  /** Called once the code is loaded and ready for rows. */
  onReady?(): void;
}

/** What the code made of its input. */
export interface SandboxOutcome {
  rowsIn: number;
  rowsOut: number;
  columns: Column[];
}

/** Runs a step's code over its input in `host`; read `outputs()` to drive it. */
export class SandboxSession {
  /** Set when `outputs()` has ended without error. */
  outcome?: SandboxOutcome;
  #options: SandboxSessionOptions;
  #inFlight = 0;
  #wake?: () => void;
  #inputError?: unknown;
  #protocolError?: unknown;
  #rowsIn = 0;
  #rowsOut = 0;
  #logBytes = 0;
  #logLines = 0;

  constructor(options: SandboxSessionOptions) {
    this.#options = options;
  }

  /** The output batches (columns are only known at the end: see `outcome`). */
  async *outputs(): AsyncGenerator<RecordBatch> {
    const { host, signal } = this.#options;
    const kill = () => host.kill();
    signal?.addEventListener("abort", kill, { once: true });
    try {
      signal?.throwIfAborted();
      await host.send({
        t: "init",
        init: { ...this.#options.init, logCap: LOG_CAP_BYTES },
      });
      const feeding = this.#feed();
      for (;;) {
        const frame = await host.next().catch((error) => {
          // A stream cut short is a host that died: its exit says why. A
          // corrupt or oversized frame is a host to stop, with this reason.
          if (error instanceof FrameError && error.kind === "corrupt") {
            this.#protocolError ??= error;
          }
          return null;
        });
        if (!frame) {
          signal?.throwIfAborted();
          if (this.#inputError) throw this.#inputError;
          if (this.#protocolError) throw this.#protocolError;
          throw new Error(await host.exitReason());
        }
        const { header } = frame;
        switch (header.t) {
          case "ready":
            this.#options.onReady?.();
            break;
          case "rows":
            this.#rowsOut += header.count;
            this.#progress();
            yield { columns: [], rows: [], copyBytes: frame.body };
            break;
          case "ack":
            this.#inFlight--;
            this.#wake?.();
            break;
          case "log":
            await this.#log(header.level, header.message);
            break;
          case "error":
            throw new Error(header.message);
          case "done":
            await feeding;
            this.outcome = {
              rowsIn: header.rowsIn,
              rowsOut: header.rowsOut,
              columns: header.columns as Column[],
            };
            return;
          default:
            throw new Error(
              `Cannot run step code: the sandbox sent an unknown frame`,
            );
        }
      }
    } finally {
      signal?.removeEventListener("abort", kill);
      this.#wake?.();
      if (this.outcome) await host.end();
      else host.kill();
      await host.closed();
    }
  }

  // Sends the input batches, waiting while IN_FLIGHT are unanswered.
  async #feed(): Promise<void> {
    const { host, input } = this.#options;
    try {
      for await (const batch of input) {
        const rows = batchRowCount(batch);
        if (rows === 0) continue;
        while (this.#inFlight >= IN_FLIGHT && !host.exited) {
          await new Promise<void>((resolve) => this.#wake = resolve);
        }
        if (host.exited) return;
        const text = batchCopyText(batch);
        const body = typeof text === "string"
          ? new TextEncoder().encode(text)
          : text;
        this.#inFlight++;
        this.#rowsIn += rows;
        await host.send({ t: "batch" }, body);
      }
      await host.send({ t: "end" });
    } catch (error) {
      // A failed write means the host is gone: the reader says why. A failed
      // read of the input is this step's error.
      if (!host.exited) {
        this.#inputError = error;
        host.kill();
      }
    }
  }

  #progress() {
    this.#options.onProgress?.({
      rowsIn: this.#rowsIn,
      rowsOut: this.#rowsOut,
    });
  }

  // The Worker caps its own log; this cap holds even if it were bypassed.
  async #log(level: LogLevel, message: string) {
    const over = () =>
      this.#logBytes > LOG_CAP_BYTES + 4096 ||
      this.#logLines > LOG_CAP_LINES + 1;
    if (over()) return;
    this.#logBytes += message.length;
    this.#logLines++;
    if (over()) {
      await this.#options.log("warn", "log truncated");
      return;
    }
    await this.#options.log(level, message);
  }
}
