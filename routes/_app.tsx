// The page shell. The nav offers only what the signed-in user's role allows
// (permissions.ts); signed out (sign-in and setup pages) it is just the brand.

import { define } from "../lib/state.ts";
import { can } from "../lib/rbac/permissions.ts";

export default define.page(({ Component, state }) => {
  // Null before authenticate() ran (e.g. a refused cross-site post).
  const user = state.user ?? null;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>ETL platform</title>
        <link rel="stylesheet" href="/styles.css" />
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/">ETL</a>
          {user && (
            <>
              <nav>
                {can(user, "pipeline.create") && (
                  <a href="/load-csv">Load a CSV</a>
                )}
                <a href="/pipelines">Pipelines</a>
                <a href="/runs">Runs</a>
                <a href="/connectors">Connectors</a>
                {can(user, "user.manage") && <a href="/admin/users">Users</a>}
                {can(user, "audit.read") && <a href="/admin/audit">Audit</a>}
              </nav>
              <div class="who">
                <a
                  href="/account"
                  id="nav-account"
                  title={`Role: ${user.role}`}
                >
                  {user.email}
                </a>
                <form method="post" action="/logout">
                  <button type="submit" id="sign-out" class="subtle">
                    Sign out
                  </button>
                </form>
              </div>
            </>
          )}
        </header>
        <main>
          <Component />
        </main>
      </body>
    </html>
  );
});
