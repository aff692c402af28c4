import { page } from "../../../../mod.ts";
import { define } from "../../state.ts";

export const handler = define.handlers((ctx) =>
  page({ path: ctx.params.path })
);

export default define.page<typeof handler>(({ data }) => (
  <h1>Doc {data.path}</h1>
));
