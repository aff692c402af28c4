// POST {email, password}: a new session cookie (the old one is ended), or
// 401 for wrong credentials, 429 with Retry-After when throttled.

import { credentialsSchema } from "../../../../lib/auth/auth_requests.ts";
import { define } from "../../../../lib/state.ts";
import { HttpError } from "../../../../lib/web/mod.ts";
import { parseJsonBody } from "../../../../lib/api/problem.ts";
import { signIn } from "../../../../lib/auth/sign_in.ts";
import { sessionCookie } from "../../../../lib/auth/sessions.ts";

export const handler = define.handlers({
  async POST(ctx) {
    const body = await parseJsonBody(ctx.req, credentialsSchema, "sign-in");
    const result = await signIn(ctx.state.services.db, {
      ...body,
      ip: ctx.state.ip,
      userAgent: ctx.req.headers.get("user-agent") ?? "",
      previousSession: ctx.state.sessionToken,
    });
    if (!result.ok && result.reason === "throttled") {
      throw new HttpError(
        429,
        `Too many failed sign-ins; try again in ${result.retryAfter} seconds`,
        { headers: { "retry-after": String(result.retryAfter) } },
      );
    }
    if (!result.ok) throw new HttpError(401, "Wrong email or password");
    return ctx.json({ user: result.user }, {
      headers: {
        "set-cookie": sessionCookie(result.session.token, {
          secure: ctx.state.https,
        }),
      },
    });
  },
});
