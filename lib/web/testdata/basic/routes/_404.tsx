import { define } from "../state.ts";

export default define.page(({ url }) => (
  <p class="not-found">No page at {url.pathname}</p>
));
