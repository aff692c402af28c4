// The sign-in page. After signing in, the browser goes back where it was
// headed (`next`), but only to a path on this site: never `//host` or a URL.

import { page } from "../lib/web/mod.ts";
import { define } from "../lib/state.ts";
import { signIn } from "../lib/auth/sign_in.ts";
import { sessionCookie } from "../lib/auth/sessions.ts";

interface Data {
  email: string;
  next: string;
  error: string | null;
}

/** `next` when it is a path on this site, else "/". */
function localPath(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//")) return "/";
  // Browsers read "\" as "/" and drop tabs and newlines from URLs, so
  // "/\evil.example" and "/\t/evil.example" leave the site like "//".
  for (const char of next) {
    const code = char.charCodeAt(0);
    if (char === "\\" || code <= 0x20 || code === 0x7f) return "/";
  }
  return next;
}

function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value : "";
}

function waitText(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

export const handler = define.handlers({
  GET(ctx) {
    if (ctx.state.user) return ctx.redirect("/");
    return page<Data>({
      email: "",
      next: localPath(ctx.url.searchParams.get("next")),
      error: null,
    });
  },
  async POST(ctx) {
    const form = await ctx.req.formData();
    const email = field(form, "email").trim();
    const password = field(form, "password");
    const next = localPath(field(form, "next"));
    const wrong = () =>
      page<Data>({ email, next, error: "Wrong email or password" }, {
        status: 401,
      });
    // The same limits as the JSON API; nothing longer can match.
    if (email.length > 254 || password.length > 1024) return wrong();
    const result = await signIn(ctx.state.services.db, {
      email,
      password,
      ip: ctx.state.ip,
      userAgent: ctx.req.headers.get("user-agent") ?? "",
      previousSession: ctx.state.sessionToken,
    });
    if (!result.ok && result.reason === "throttled") {
      return page<Data>({
        email,
        next,
        error: `Too many failed sign-ins: try again in ${
          waitText(result.retryAfter)
        }`,
      }, {
        status: 429,
        headers: { "retry-after": String(result.retryAfter) },
      });
    }
    if (!result.ok) return wrong();
    const response = ctx.redirect(next);
    response.headers.set(
      "set-cookie",
      sessionCookie(result.session.token, {
        secure: ctx.state.https,
      }),
    );
    return response;
  },
});

export default define.page<typeof handler>(({ data }) => (
  <section class="auth">
    <h1>Sign in</h1>
    {data.error && (
      <p class="error" id="sign-in-error" role="alert">{data.error}</p>
    )}
    <form method="post" action="/login" class="form" id="sign-in-form">
      <input type="hidden" name="next" value={data.next} />
      <label>
        Email
        <input
          type="email"
          name="email"
          id="email"
          required
          autocomplete="username"
          value={data.email}
        />
      </label>
      <label>
        Password
        <input
          type="password"
          name="password"
          id="password"
          required
          autocomplete="current-password"
        />
      </label>
      <button type="submit" id="sign-in">Sign in</button>
    </form>
  </section>
));
