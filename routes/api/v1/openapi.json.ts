// GET: the OpenAPI 3.1 document of this API (public: it describes formats,
// never data). Built once per process; `servers` is the origin asked.

import { define } from "../../../lib/state.ts";
import { openApiDocument } from "../../../lib/api/openapi.ts";

export const handler = define.handlers({
  GET(ctx) {
    const origin = ctx.state.https && ctx.url.protocol === "http:"
      ? `https://${ctx.url.host}`
      : ctx.url.origin;
    return ctx.json(openApiDocument(origin));
  },
});
