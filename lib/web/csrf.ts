// Middleware refusing cross-site form posts and fetches, from the headers
// browsers add themselves (no tokens to thread through forms).
import type { Middleware } from "./context.ts";
import { HttpError } from "./http_error.ts";

/** Options of {@linkcode csrf}. */
export interface CsrfOptions {
  /** Other origins allowed to send unsafe requests, e.g. `["https://admin.example.com"]`. */
  allowedOrigins?: string[];
}

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Refuse (403) unsafe requests (POST, PUT, PATCH, DELETE) from another site:
 * - if `Sec-Fetch-Site` is present (all current browsers), it must be
 *   `same-origin` or `none` (typed URL, bookmark) unless `Origin` is allowed;
 * - else, if `Origin` is present, it must equal the request's own origin or
 *   an allowed origin;
 * - requests with neither header are allowed: browsers always send one of
 *   them on cross-site requests, so these are non-browser clients (curl, API
 *   tokens), which CSRF can't target. (Behind a proxy that rewrites the
 *   Host, `ctx.url.origin` is the proxy's view: list the public origin.) Session cookies should also be
 *   `SameSite=Lax` as a second line of defence.
 */
export function csrf<State>(options: CsrfOptions = {}): Middleware<State> {
  const allowed = new Set(options.allowedOrigins ?? []);
  return function csrf(ctx) {
    if (!UNSAFE.has(ctx.req.method)) return ctx.next();
    const site = ctx.req.headers.get("sec-fetch-site");
    const origin = ctx.req.headers.get("origin");
    const trusted = origin !== null && allowed.has(origin);
    const ok = site !== null
      ? site === "same-origin" || site === "none" || trusted
      : origin === null || origin === ctx.url.origin || trusted;
    if (!ok) {
      throw new HttpError(403, "Cross-site request refused");
    }
    return ctx.next();
  };
}
