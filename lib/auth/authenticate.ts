// Middleware: who is asking. A `Authorization: Bearer` API token wins over
// the session cookie; a bad token is refused rather than ignored, so a
// script with an expired token gets a clear 401 instead of odd 403s.

import { HttpError } from "../web/mod.ts";
import type { Context, Middleware } from "../web/mod.ts";
import type { Db } from "../db/db.ts";
import type { Principal } from "./principal.ts";
import { tokenPrincipal } from "./api_tokens.ts";
import { sessionPrincipal, sessionTokenOf } from "./sessions.ts";

/** What authenticate() adds to ctx.state. */
export interface AuthState {
  /** The signed-in user, or null. */
  user: Principal | null;
  /** The client's address, for throttling and the audit log. */
  ip: string;
  /** The session token from the cookie, when the user came with one. */
  sessionToken: string | null;
  /** Whether the client reached us over HTTPS (cookies get `Secure`). */
  https: boolean;
}

/**
 * The client address of a request: the socket peer, or, behind a trusted
 * reverse proxy (ETL_TRUST_PROXY), the first `X-Forwarded-For` address.
 */
export function clientIp<S>(ctx: Context<S>, trustProxy = false): string {
  if (trustProxy) {
    const forwarded = ctx.req.headers.get("x-forwarded-for")?.split(",")[0]
      .trim();
    if (forwarded) return forwarded;
  }
  const addr = ctx.info?.remoteAddr;
  return addr && "hostname" in addr ? addr.hostname : "local";
}

/** Whether the client's connection is HTTPS (as the proxy says, if trusted). */
export function viaHttps<S>(ctx: Context<S>, trustProxy = false): boolean {
  if (ctx.url.protocol === "https:") return true;
  return trustProxy &&
    ctx.req.headers.get("x-forwarded-proto")?.split(",")[0].trim() === "https";
}

/** Fills `user`, `ip` and `sessionToken` on ctx.state. */
export function authenticate<S extends AuthState>(
  db: () => Db,
  options: { trustProxy?: boolean } = {},
): Middleware<S> {
  const trustProxy = options.trustProxy ?? false;
  return async function authenticate(ctx) {
    ctx.state.ip = clientIp(ctx, trustProxy);
    ctx.state.https = viaHttps(ctx, trustProxy);
    ctx.state.user = null;
    ctx.state.sessionToken = null;
    const authorization = ctx.req.headers.get("authorization");
    if (authorization !== null) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
      const user = match ? await tokenPrincipal(db(), match[1]) : null;
      if (!user) {
        throw new HttpError(
          401,
          "The API token is unknown, expired or revoked",
          { headers: { "www-authenticate": 'Bearer error="invalid_token"' } },
        );
      }
      ctx.state.user = user;
      return ctx.next();
    }
    const token = sessionTokenOf(ctx.req);
    if (token) {
      ctx.state.sessionToken = token;
      ctx.state.user = await sessionPrincipal(db(), token);
    }
    return ctx.next();
  };
}
