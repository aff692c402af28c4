import { HttpError } from "../../../../mod.ts";
import { define } from "../../state.ts";

export const handler = define.handlers({
  GET: (ctx) => ctx.json([{ id: 1 }]),
  POST: async (ctx) => {
    const body = await ctx.req.json();
    if (!body.name) throw new HttpError(422, 'Field "name" is required');
    return ctx.json({ id: 2, name: body.name }, { status: 201 });
  },
});
