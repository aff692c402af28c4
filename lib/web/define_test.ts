import assert from "node:assert/strict";
import { createDefine } from "./define.ts";
import { page } from "./context.ts";

Deno.test("createDefine() helpers return their argument and infer page data", () => {
  const define = createDefine<{ user: string }>();
  const handler = define.handlers({
    GET: (ctx) => page({ name: ctx.state.user }),
  });
  // Type check: `data.name` is a string because it is inferred from the handler.
  const Page = define.page<typeof handler>(({ data }) => {
    const name: string = data.name;
    return name ? null : null;
  });
  const mw = define.middleware((ctx) => ctx.next());
  assert.equal(define.handlers(handler), handler);
  assert.equal(define.page(Page), Page);
  assert.equal(define.middleware(mw), mw);
});
