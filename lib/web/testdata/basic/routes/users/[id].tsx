import { HttpError, page } from "../../../../mod.ts";
import { define } from "../../state.ts";

export const handler = define.handlers({
  GET(ctx) {
    if (ctx.params.id === "0") throw new HttpError(404);
    return page({ id: ctx.params.id, trail: ctx.state.trail.join(">") }, {
      headers: { "x-user": ctx.params.id },
    });
  },
  DELETE(ctx) {
    return new Response(null, {
      status: 204,
      headers: { "x-deleted": ctx.params.id },
    });
  },
});

export default define.page<typeof handler>(({ data }) => (
  <h1>
    User {data.id} via {data.trail}
  </h1>
));
