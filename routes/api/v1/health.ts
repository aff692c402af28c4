import { define } from "../../../lib/state.ts";

// Liveness plus database reachability: 503 when the database does not answer.
export const handler = define.handlers({
  async GET(ctx) {
    const { db } = ctx.state.services;
    try {
      await db.query("select 1");
      return ctx.json({
        status: "ok",
        database: { backend: db.backend, status: "ok" },
      });
    } catch {
      return ctx.json(
        {
          status: "degraded",
          database: { backend: db.backend, status: "unreachable" },
        },
        { status: 503 },
      );
    }
  },
});
