// Runs inside the sandbox's Web Worker (no read, write, env, run, ffi, sys or
// import permission; net only to the step's hosts): loads the step's code,
// decodes each batch of COPY text into row objects, calls the code, and
// encodes what it returns back into COPY text with the columns it infers.
// Self-contained (the Worker may read no other file); `RowTransform` is also
// used in-process by the transform benchmark's baseline.

import type {
  FrameHeader,
  SandboxColumn,
  SandboxInit,
} from "./sandbox_protocol.ts";

/** What the step's code gets as its second argument. */
export interface StepCodeContext {
  params: Record<string, unknown>;
  log(message: unknown): void;
  run: { id: number; pipeline: string; scheduled_date: string };
}

type StepFunction = (input: unknown, ctx: StepCodeContext) => unknown;

// An output chunk is sent once it holds this many rows or bytes, so a step
// that fans out sends many bounded chunks.
const FLUSH_ROWS = 10_000;
const FLUSH_CHARS = 4 * 1024 * 1024;
// Output chunks the host may hold before the code must wait.
const MAX_UNWRITTEN = 4;
// Log lines a step may print (each is a row in the task log).
const MAX_LOG_LINES = 10_000;
const ESCAPES = /[\\\t\n\r]/;
const ESCAPE_ALL = /[\\\t\n\r]/g;
const UNESCAPE = /\\(.)/g;

/**
 * Turns batches of COPY text into the step code's output, as COPY text
 * chunks. Output columns are the fields of the first chunk's rows; their types
 * widen as values come (bigint → double → text).
 */
export class RowTransform {
  rowsIn = 0;
  rowsOut = 0;
  #fn: StepFunction;
  #mode: "row" | "batch";
  #ctx: StepCodeContext;
  #decodeRow: (fields: string[]) => Record<string, unknown>;
  #names: string[] = [];
  #types: (string | null)[] = [];
  #index = new Map<string, number>();
  #frozen = false;
  #text = "";
  #count = 0;
  #emit: (text: string, count: number) => Promise<void> | void;
  // Set while the receiver has no room for more output: the code waits.
  #room?: Promise<void>;

  constructor(
    fn: StepFunction,
    options: {
      mode: "row" | "batch";
      ctx: StepCodeContext;
      columns: SandboxColumn[];
      /** Takes a chunk; a returned promise holds the code until there is room. */
      emit: (text: string, count: number) => Promise<void> | void;
    },
  ) {
    this.#fn = fn;
    this.#mode = options.mode;
    this.#ctx = options.ctx;
    this.#emit = options.emit;
    this.#decodeRow = rowDecoder(options.columns);
  }

  /** The output columns so far (type `text` for a column that was all null). */
  get columns(): SandboxColumn[] {
    return this.#names.map((name, i) => ({
      name,
      type: this.#types[i] ?? "text",
    }));
  }

  /** Runs the code over one batch of COPY text lines. */
  async process(text: string): Promise<void> {
    const lines = text.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    const rows = new Array(lines.length);
    for (let i = 0; i < lines.length; i++) {
      rows[i] = this.#decodeRow(lines[i].split("\t"));
    }
    this.rowsIn += rows.length;
    if (this.#mode === "batch") {
      let result = this.#fn(rows, this.#ctx);
      if (isThenable(result)) result = await result;
      if (result == null) return;
      if (!Array.isArray(result)) {
        throw new TypeError(
          `the batch function returned ${
            describe(result)
          }; return an array of rows`,
        );
      }
      for (const row of result) {
        this.#add(row);
        if (this.#room) await this.#waitForRoom();
      }
      return;
    }
    const fn = this.#fn;
    const ctx = this.#ctx;
    for (let i = 0; i < rows.length; i++) {
      let result = fn(rows[i], ctx);
      if (isThenable(result)) result = await result;
      if (result == null) continue;
      if (Array.isArray(result)) {
        for (const row of result) {
          this.#add(row);
          if (this.#room) await this.#waitForRoom();
        }
      } else {
        this.#add(result);
        if (this.#room) await this.#waitForRoom();
      }
    }
  }

  async #waitForRoom(): Promise<void> {
    await this.#room;
    this.#room = undefined;
  }

  /** Sends the rows not sent yet; resolves when the receiver has room. */
  async flush(): Promise<void> {
    this.#send();
    if (this.#room) await this.#waitForRoom();
  }

  #send(): void {
    if (this.#count === 0) return;
    this.#frozen = true;
    const text = this.#text;
    const count = this.#count;
    this.#text = "";
    this.#count = 0;
    const room = this.#emit(text, count);
    if (room) this.#room = room;
  }

  #add(row: unknown): void {
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      throw new TypeError(
        `the step code returned ${
          describe(row)
        } as a row; return an object, an array of objects, or null to drop the row`,
      );
    }
    // Fast path: the row's fields come in the columns' order (rows made by
    // the same code usually do), so each value is appended as it is read.
    const record = row as Record<string, unknown>;
    const names = this.#names;
    let line = "";
    let i = 0;
    for (const key in record) {
      if (key !== names[i]) return this.#addAnyOrder(record);
      const value = record[key];
      const text = value === null || value === undefined
        ? "\\N"
        : this.#encode(i, value);
      line = i === 0 ? text : line + "\t" + text;
      i++;
    }
    for (; i < names.length; i++) line = i === 0 ? "\\N" : line + "\t\\N";
    this.#push(line);
  }

  #addAnyOrder(record: Record<string, unknown>): void {
    const fields: string[] = new Array(this.#names.length).fill("\\N");
    for (const key in record) {
      let i = this.#index.get(key);
      if (i === undefined) i = this.#addColumn(key, fields);
      const value = record[key];
      if (value === null || value === undefined) continue;
      fields[i] = this.#encode(i, value);
    }
    this.#push(fields.join("\t"));
  }

  #push(line: string): void {
    this.#text += line + "\n";
    this.#count++;
    this.rowsOut++;
    if (this.#count >= FLUSH_ROWS || this.#text.length >= FLUSH_CHARS) {
      this.#send();
    }
  }

  #addColumn(key: string, fields: string[]): number {
    if (this.#frozen) {
      throw new TypeError(
        `a row has field "${key}" that the first rows did not have; return the same fields from every row (null when there is no value)`,
      );
    }
    // Rows already encoded in this chunk get a null for the new column.
    if (this.#count > 0) {
      this.#text = this.#text.replaceAll("\n", "\t\\N\n");
    }
    const i = this.#names.length;
    this.#names.push(key);
    this.#types.push(null);
    this.#index.set(key, i);
    fields.push("\\N");
    return i;
  }

  #encode(i: number, value: unknown): string {
    let type: string;
    let text: string;
    switch (typeof value) {
      case "string":
        type = "text";
        text = ESCAPES.test(value)
          ? value.replace(ESCAPE_ALL, escapeChar)
          : value;
        break;
      case "number":
        type = Number.isSafeInteger(value) ? "bigint" : "double";
        text = String(value);
        break;
      case "bigint":
        type = "bigint";
        text = String(value);
        break;
      case "boolean":
        type = "boolean";
        text = value ? "t" : "f";
        break;
      default:
        if (value instanceof Date) {
          type = "timestamptz";
          text = value.toISOString();
        } else {
          type = "json";
          text = JSON.stringify(value).replace(ESCAPE_ALL, escapeChar);
        }
    }
    const current = this.#types[i];
    if (current !== type) this.#types[i] = widen(current, type);
    return text;
  }
}

function widen(current: string | null, next: string): string {
  if (current === null) return next;
  if (
    (current === "bigint" && next === "double") ||
    (current === "double" && next === "bigint")
  ) return "double";
  return "text";
}

function escapeChar(char: string): string {
  switch (char) {
    case "\t":
      return "\\t";
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    default:
      return "\\\\";
  }
}

function unescapeChar(_: string, char: string): string {
  switch (char) {
    case "t":
      return "\t";
    case "n":
      return "\n";
    case "r":
      return "\r";
    default:
      return char;
  }
}

type Convert = (text: string) => unknown;

function converterFor(type: string): Convert | null {
  switch (type) {
    case "bigint":
      return (text) => {
        const n = Number(text);
        return Number.isSafeInteger(n) ? n : text;
      };
    case "double":
      return Number;
    case "boolean":
      return (text) => /^(t|true|1|yes|y)$/i.test(text);
    case "json":
      return (text) => JSON.parse(text);
    case "timestamptz":
      return (text) => {
        const date = new Date(
          text.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00"),
        );
        return Number.isNaN(date.getTime()) ? text : date;
      };
    default:
      return null;
  }
}

// One generated function a column set: an object literal of fixed shape is
// far faster to build than adding properties one by one.
function rowDecoder(
  columns: SandboxColumn[],
): (fields: string[]) => Record<string, unknown> {
  const converters = columns.map((c) => converterFor(c.type));
  const body = columns.map((c, i) =>
    `${JSON.stringify(c.name)}: field(f[${i}], ${
      converters[i] ? `c[${i}]` : "null"
    })`
  ).join(", ");
  const make = new Function("field", "c", `return (f) => ({ ${body} });`);
  return make(decodeField, converters);
}

function decodeField(
  raw: string | undefined,
  convert: Convert | null,
): unknown {
  if (raw === undefined || raw === "\\N") return null;
  const text = raw.includes("\\") ? raw.replace(UNESCAPE, unescapeChar) : raw;
  return convert ? convert(text) : text;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null &&
    typeof (value as { then?: unknown }).then === "function";
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/** An error message that points at the step's code, not at its data: URL. */
export function stepCodeError(error: unknown, codeUrl: string): string {
  const raw = error instanceof Error
    ? `${error.name}: ${error.message}\n${error.stack ?? ""}`
    : String(error);
  const text = permissionHint(raw.replaceAll(codeUrl, "step code"));
  const syntax = /SyntaxError: ([^\n]*)[\s\S]*?step code:(\d+):(\d+)/.exec(
    text,
  );
  if (syntax) {
    return `syntax error at line ${syntax[2]}:${syntax[3]}: ${syntax[1]}`;
  }
  const message = error instanceof Error
    ? permissionHint(
      `${error.name}: ${error.message.replaceAll(codeUrl, "step code")}`,
    )
    : text;
  const at = /step code:(\d+):(\d+)/.exec(
    error instanceof Error
      ? (error.stack ?? "").replaceAll(codeUrl, "step code")
      : "",
  );
  return at ? `${message} (at line ${at[1]}:${at[2]})` : message;
}

// Deno's hint names a command-line flag, which a step's author cannot use.
function permissionHint(message: string): string {
  return message.replace(
    /npm specifiers were requested; but --no-npm is specified/g,
    "step code may not import npm packages",
  ).replace(
    /, run again with the --allow-(\w+) flag/g,
    (_, kind) =>
      kind === "net"
        ? ": list the host in the step's allow_net"
        : ": the sandbox forbids it",
  );
}

// --- inside the Worker ---------------------------------------------------

interface WorkerMessage {
  header: FrameHeader;
  body?: Uint8Array;
}

function workerMain(scope: {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent) => void) | null;
}) {
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const post = (header: FrameHeader, body?: Uint8Array) =>
    body
      ? scope.postMessage({ header, body }, [body.buffer])
      : scope.postMessage({ header });
  let logBytes = 0;
  let logLines = 0;
  let logCap = 1024 * 1024;
  let truncated = false;
  const log = (level: "info" | "warn" | "error", args: unknown[]) => {
    if (truncated) return;
    if (++logLines > MAX_LOG_LINES) {
      post({
        t: "log",
        level: "warn",
        message:
          `log truncated: the step printed more than ${MAX_LOG_LINES} lines`,
      });
      truncated = true;
      return;
    }
    let message = args.map((a) =>
      typeof a === "string" ? a : Deno.inspect(a, { depth: 4 })
    ).join(" ");
    if (logBytes + message.length > logCap) {
      message = message.slice(0, Math.max(0, logCap - logBytes));
      if (message) post({ t: "log", level, message });
      post({
        t: "log",
        level: "warn",
        message: `log truncated: the step printed more than ${logCap} bytes`,
      });
      truncated = true;
      return;
    }
    logBytes += message.length;
    post({ t: "log", level, message });
  };
  const info = (...args: unknown[]) => log("info", args);
  const warn = (...args: unknown[]) => log("warn", args);
  const error = (...args: unknown[]) => log("error", args);
  const quiet = () => {};
  Object.defineProperty(globalThis, "console", {
    // Not frozen: node: built-ins add properties to the console.
    value: {
      log: info,
      info,
      debug: info,
      trace: info,
      dir: info,
      table: info,
      warn,
      error,
      assert: quiet,
      count: quiet,
      countReset: quiet,
      group: quiet,
      groupCollapsed: quiet,
      groupEnd: quiet,
      time: quiet,
      timeEnd: quiet,
      timeLog: quiet,
    },
    configurable: false,
    writable: false,
  });
  // stdout is the host's wire to the platform: the code must not write to it.
  for (const name of ["stdin", "stdout", "stderr"]) {
    Object.defineProperty(Deno, name, { value: undefined });
  }
  // Inside a Worker these end the Worker silently and the host would wait
  // for ever: they fail the step instead.
  const refuse = (what: string) => () => {
    throw new Error(`the step code may not call ${what}; return or throw`);
  };
  Object.defineProperty(Deno, "exit", { value: refuse("Deno.exit()") });
  Object.defineProperty(globalThis, "close", { value: refuse("close()") });

  let transform: RowTransform | undefined;
  let unwritten = 0;
  let roomWaiter: (() => void) | undefined;
  let codeUrl = "";
  let failed = false;
  const handle = async ({ header, body }: WorkerMessage) => {
    switch (header.t) {
      case "init": {
        const init: SandboxInit = header.init;
        logCap = init.logCap;
        const media = init.language === "javascript"
          ? "text/javascript"
          : "application/typescript";
        codeUrl = `data:${media};base64,${base64(encoder.encode(init.code))}`;
        const module = await import(codeUrl);
        if (typeof module.default !== "function") {
          throw new TypeError(
            `the step code must export a default function (found ${
              describe(module.default)
            })`,
          );
        }
        const ctx: StepCodeContext = Object.freeze({
          params: Object.freeze({ ...init.params }),
          run: Object.freeze({ ...init.run }),
          log: (message: unknown) => info(message),
        });
        transform = new RowTransform(module.default, {
          mode: init.mode,
          ctx,
          columns: init.columns,
          emit: (text, count) => {
            post({ t: "rows", count }, encoder.encode(text));
            // Backpressure: the code waits while the host has not yet
            // written enough chunks on to the platform.
            if (++unwritten < MAX_UNWRITTEN) return;
            return new Promise<void>((resolve) => roomWaiter = resolve);
          },
        });
        post({ t: "ready" });
        return;
      }
      case "batch":
        await transform!.process(body ? decoder.decode(body) : "");
        await transform!.flush();
        post({ t: "ack" });
        return;
      case "end":
        await transform!.flush();
        post({
          t: "done",
          rowsIn: transform!.rowsIn,
          rowsOut: transform!.rowsOut,
          columns: transform!.columns,
        });
        return;
    }
  };
  let queue = Promise.resolve();
  scope.onmessage = (event: MessageEvent) => {
    if ((event.data as WorkerMessage).header.t === "written") {
      // Not queued: the code may be waiting for it.
      if (--unwritten < MAX_UNWRITTEN && roomWaiter) {
        roomWaiter();
        roomWaiter = undefined;
      }
      return;
    }
    queue = queue.then(async () => {
      if (failed) return;
      try {
        await handle(event.data as WorkerMessage);
      } catch (error) {
        failed = true;
        post({ t: "error", message: stepCodeError(error, codeUrl) });
      }
    });
  };
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

// deno-lint-ignore no-explicit-any
const global = globalThis as any;
if (
  typeof global.WorkerGlobalScope === "function" &&
  self instanceof global.WorkerGlobalScope
) {
  workerMain(global);
}
