// Request bodies of the sign-in API, shared by the routes and OpenAPI.

import { z } from "zod";

/** Body of `POST /api/v1/auth/login`. */
export const credentialsSchema = z.strictObject({
  email: z.string().max(254),
  password: z.string().max(1024),
});

/** Body of `POST /api/v1/auth/logout` (optional). */
export const logoutSchema = z.strictObject({
  everywhere: z.boolean().default(false).describe(
    "End every session of the user, not just this one",
  ),
});
