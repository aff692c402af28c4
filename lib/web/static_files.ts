// Middleware serving a folder of static files with strong, content-hashed
// ETags so browsers revalidate cheaply.
import { extname, join, normalize, sep } from "node:path";
import type { Middleware } from "./context.ts";

/** Options of {@linkcode staticFiles}. */
export interface StaticFilesOptions {
  /** The folder whose files are served at `/`, e.g. `join(import.meta.dirname!, "static")`. */
  root: string;
  /** Cache-Control of served files; by default browsers revalidate with the ETag each time. */
  cacheControl?: string;
}

const CONTENT_TYPES: Record<string, string> = {
  ".css": "text/css; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".wasm": "application/wasm",
};

/** Serve GET/HEAD requests for files under `root`; anything else goes to `ctx.next()`. */
export function staticFiles<State>(
  options: StaticFilesOptions,
): Middleware<State> {
  const root = normalize(options.root);
  const cacheControl = options.cacheControl ??
    "public, max-age=0, must-revalidate";
  // Hashing is the costly part; redo it only when size or mtime change.
  const etags = new Map<string, { key: string; etag: string }>();

  return async function staticFiles(ctx) {
    if (ctx.req.method !== "GET" && ctx.req.method !== "HEAD") {
      return ctx.next();
    }
    let path: string;
    try {
      path = normalize(join(root, decodeURIComponent(ctx.url.pathname)));
    } catch {
      return ctx.next(); // malformed %-escape: not a file of ours
    }
    if (!path.startsWith(root + sep)) return ctx.next(); // `..` escape attempt
    let body: Uint8Array<ArrayBuffer>, info: Deno.FileInfo;
    try {
      info = await Deno.stat(path);
      if (!info.isFile) return ctx.next();
      body = await Deno.readFile(path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return ctx.next();
      throw error;
    }
    const key = `${info.size}:${info.mtime?.getTime()}`;
    let cached = etags.get(path);
    if (cached?.key !== key) {
      cached = { key, etag: `"${await sha256(body)}"` };
      etags.set(path, cached);
    }
    const headers = new Headers({
      etag: cached.etag,
      "cache-control": cacheControl,
    });
    if (matchesEtag(ctx.req.headers.get("if-none-match"), cached.etag)) {
      return new Response(null, { status: 304, headers });
    }
    headers.set(
      "content-type",
      CONTENT_TYPES[extname(path).toLowerCase()] ?? "application/octet-stream",
    );
    headers.set("content-length", String(body.length));
    return new Response(ctx.req.method === "HEAD" ? null : body, { headers });
  };
}

/** If-None-Match uses weak comparison (RFC 9110 §13.1.2): `W/` prefixes are ignored. */
function matchesEtag(header: string | null, etag: string): boolean {
  if (!header) return false;
  return header.split(",").some((tag) => {
    const t = tag.trim();
    return t === "*" || t.replace(/^W\//, "") === etag;
  });
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest.slice(0, 16), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}
