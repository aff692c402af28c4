// Middleware adding security headers, including a strict CSP that island
// hydration works under (the client runtime is an external module and props
// travel in non-executable JSON script blocks).
import type { Middleware } from "./context.ts";

/** Options of {@linkcode securityHeaders}. */
export interface SecurityHeadersOptions {
  /** Directives replacing or adding to the defaults, e.g. `{ "img-src": "'self' data:" }`; `false` drops the CSP. */
  contentSecurityPolicy?: Record<string, string> | false;
  /** Referrer-Policy; default `strict-origin-when-cross-origin`. */
  referrerPolicy?: string;
}

/** The default Content-Security-Policy directives. */
export const DEFAULT_CSP: Readonly<Record<string, string>> = {
  "default-src": "'self'",
  "script-src": "'self'",
  "object-src": "'none'",
  "base-uri": "'self'",
  "frame-ancestors": "'none'",
  "form-action": "'self'",
};

/** Set CSP, `X-Content-Type-Options`, `Referrer-Policy` and `X-Frame-Options` on every response. */
export function securityHeaders<State>(
  options: SecurityHeadersOptions = {},
): Middleware<State> {
  const csp = options.contentSecurityPolicy === false
    ? undefined
    : Object.entries({
      ...DEFAULT_CSP,
      ...options.contentSecurityPolicy,
    }).map(([name, value]) => `${name} ${value}`).join("; ");
  const values: Record<string, string> = {
    "x-content-type-options": "nosniff",
    "referrer-policy": options.referrerPolicy ??
      "strict-origin-when-cross-origin",
    "x-frame-options": "DENY",
  };
  if (csp) values["content-security-policy"] = csp;

  return async function securityHeaders(ctx) {
    let response = await ctx.next();
    if (response.status === 101) return response; // WebSocket upgrade
    const apply = (r: Response) => {
      for (const [name, value] of Object.entries(values)) {
        if (!r.headers.has(name)) r.headers.set(name, value);
      }
    };
    try {
      apply(response);
    } catch {
      // Some responses (Response.redirect, fetch results) have immutable headers.
      response = new Response(response.body, response);
      apply(response);
    }
    return response;
  };
}
