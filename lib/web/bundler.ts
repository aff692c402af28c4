// Bundles the client runtime and one entry per island with esbuild, once per
// process, and serves the output under a content-hashed path.
import { fileURLToPath } from "node:url";
import { join, relative } from "node:path";
import type { Island } from "./islands.ts";

/** URL prefix of bundled JavaScript; the next segment is the build id. */
export const BUNDLE_PREFIX = "/_frsh/js/";

/** The in-memory output of one build. */
export interface Bundle {
  /** Hash of every output file: changes whenever any code changes. */
  buildId: string;
  /** URL of the client runtime module. */
  runtimeUrl: string;
  /** Island name → URL of its entry module. */
  islandUrls: Record<string, string>;
  /** Output path relative to the build directory → contents. */
  files: Map<string, Uint8Array>;
}

/** Options of {@linkcode IslandBundler}. */
export interface IslandBundlerOptions {
  /** Skip minification and keep readable output. */
  dev?: boolean;
}

const RUNTIME = fileURLToPath(new URL("./client_runtime.ts", import.meta.url));

/** Builds the islands of one app at first need and keeps the result. */
export class IslandBundler {
  readonly #islands: readonly Island[];
  readonly #dev: boolean;
  #build: Promise<Bundle> | undefined;

  /** Prepare a bundler; nothing runs until {@linkcode IslandBundler.bundle}. */
  constructor(islands: readonly Island[], options: IslandBundlerOptions = {}) {
    this.#islands = islands;
    this.#dev = options.dev ?? false;
  }

  /** The bundle, built on the first call; a failed build is retried next call. */
  bundle(): Promise<Bundle> {
    this.#build ??= this.#run().catch((error) => {
      this.#build = undefined;
      throw error;
    });
    return this.#build;
  }

  /** Serve one bundled file, or undefined when the path is not one of ours. */
  async serve(buildId: string, file: string): Promise<Response | undefined> {
    const bundle = await this.bundle();
    const body = buildId === bundle.buildId && bundle.files.get(file);
    if (!body) return undefined;
    return new Response(body.slice(), {
      headers: {
        "content-type": "text/javascript; charset=utf-8",
        // The build id is in the URL, so a file at one URL never changes.
        "cache-control": "public, max-age=31536000, immutable",
      },
    });
  }

  async #run(): Promise<Bundle> {
    // Loaded lazily so apps and tests without islands never start esbuild.
    const esbuild = await import("esbuild");
    const outdir = join(Deno.cwd(), "_frsh_out"); // virtual: write is false
    const result = await esbuild.build({
      entryPoints: [
        { in: RUNTIME, out: "runtime" },
        ...this.#islands.map((i) => ({ in: i.file, out: `island-${i.name}` })),
      ],
      outdir,
      write: false,
      bundle: true,
      format: "esm",
      splitting: true, // preact and shared code land in shared chunks
      platform: "browser",
      target: "es2022",
      jsx: "automatic",
      jsxImportSource: "preact",
      minify: !this.#dev,
      chunkNames: "chunk-[hash]",
      absWorkingDir: Deno.cwd(),
      define: {
        "process.env.NODE_ENV": this.#dev ? '"development"' : '"production"',
      },
      logLevel: "silent",
    });
    const files = new Map<string, Uint8Array>();
    for (const out of result.outputFiles) {
      files.set(relative(outdir, out.path), out.contents);
    }
    const buildId = await hashFiles(files);
    const url = (name: string) => `${BUNDLE_PREFIX}${buildId}/${name}.js`;
    const islandUrls = Object.fromEntries(
      this.#islands.map((i) => [i.name, url(`island-${i.name}`)]),
    );
    return { buildId, runtimeUrl: url("runtime"), islandUrls, files };
  }
}

async function hashFiles(files: Map<string, Uint8Array>): Promise<string> {
  const sorted = [...files].sort(([a], [b]) => a < b ? -1 : 1);
  const blob = new Blob(
    sorted.flatMap(([name, body]) => [name + "\0", body as BlobPart]),
  );
  const digest = await crypto.subtle.digest(
    "SHA-256",
    await blob.arrayBuffer(),
  );
  return Array.from(new Uint8Array(digest).slice(0, 8))
    .map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Stop esbuild's child process. Call it when done (e.g. at the end of a test
 * that rendered islands) so Deno's leak checks pass; a later build restarts it.
 */
export async function stopBundler(): Promise<void> {
  const esbuild = await import("esbuild");
  await esbuild.stop();
}
