// The sandbox host: a subprocess started by the platform (lib/sandbox/) with a
// V8 heap cap and almost no permissions (read of the Worker's own file, net to
// the step's hosts). It runs one step's code in a Web Worker with no
// permissions but those hosts, and relays frames between its stdin/stdout and
// the Worker. A busy loop or an out-of-memory inside the Worker cannot be
// stopped from here, so the platform SIGKILLs this process instead.
//
// Usage: deno run --unstable-worker-options --allow-read=<sandbox_worker.ts>
//   [--allow-net=<hosts>] --v8-flags=--max-old-space-size=<MB>
//   sandbox_host.ts [<comma-separated hosts>]

import {
  encodeFrame,
  type Frame,
  type FrameHeader,
  FrameReader,
} from "./sandbox_protocol.ts";

const REMOTE = /^(https?:|jsr:|npm:|\/\/)/i;
const IMPORTS = [
  /\bimport\s*(?:[\w$*{}\s,]+?\s*from\s*)?["'`]([^"'`]+)["'`]/g,
  /\bexport\s*[\w$*{}\s,]+?\s*from\s*["'`]([^"'`]+)["'`]/g,
  /\bimport\s*\(\s*["'`]([^"'`]+)["'`]/g,
];

/** The first remote module `code` imports, with its line, or null. */
export function remoteImport(
  code: string,
): { specifier: string; line: number } | null {
  for (const pattern of IMPORTS) {
    for (const match of code.matchAll(pattern)) {
      if (REMOTE.test(match[1])) {
        const line = code.slice(0, match.index).split("\n").length;
        return { specifier: match[1], line };
      }
    }
  }
  return null;
}

async function main(allowNet: string[]) {
  // Created before the step's code arrives, so a warm host only imports it.
  const worker = new Worker(new URL("./sandbox_worker.ts", import.meta.url), {
    type: "module",
    name: "step",
    deno: {
      permissions: {
        read: false,
        write: false,
        env: false,
        run: false,
        ffi: false,
        sys: false,
        import: false,
        net: allowNet.length > 0 ? allowNet : false,
      },
    },
  });
  let writing = Promise.resolve();
  const send = (header: FrameHeader, body?: Uint8Array) => {
    const frame = encodeFrame(header, body);
    writing = writing.then(() => writeAll(frame));
    return writing;
  };
  worker.onmessage = (event: MessageEvent<Frame>) => {
    const { header, body } = event.data;
    const written = send(header, body);
    if (header.t === "rows") {
      written.then(() => worker.postMessage({ header: { t: "written" } }));
    }
  };
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault();
    send({ t: "error", message: `uncaught ${event.message}` });
  };
  const reader = new FrameReader(Deno.stdin.readable);
  for (;;) {
    const frame = await reader.next();
    if (!frame) break;
    if (frame.header.t === "init") {
      const remote = remoteImport(frame.header.init.code);
      if (remote) {
        await send({
          t: "error",
          message:
            `step code may not import "${remote.specifier}" (line ${remote.line}): no remote imports (http, https, jsr, npm) in step code`,
        });
        continue;
      }
    }
    const body = frame.body;
    worker.postMessage(
      { header: frame.header, body },
      body ? [body.buffer as ArrayBuffer] : [],
    );
  }
  // The platform closed stdin: nothing more to do.
  await writing;
  Deno.exit(0);
}

async function writeAll(bytes: Uint8Array) {
  let offset = 0;
  while (offset < bytes.length) {
    offset += await Deno.stdout.write(bytes.subarray(offset));
  }
}

if (import.meta.main) {
  const hosts = (Deno.args[0] ?? "").split(",").filter(Boolean);
  await main(hosts);
}
