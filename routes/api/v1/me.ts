// GET: the signed-in user and what their role allows.

import { define } from "../../../lib/state.ts";
import { PERMISSIONS } from "../../../lib/rbac/permissions.ts";

export const handler = define.handlers({
  GET(ctx) {
    const user = ctx.state.user!;
    const permissions = Object.fromEntries(
      Object.entries(PERMISSIONS).map(([name, grants]) => [
        name,
        grants[user.role],
      ]),
    );
    return ctx.json({
      id: user.userId,
      email: user.email,
      name: user.name,
      role: user.role,
      via: user.via,
      permissions,
    });
  },
});
