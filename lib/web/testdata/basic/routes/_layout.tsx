import { define } from "../state.ts";

export default define.page(({ Component }) => (
  <div class="root-layout">
    <Component />
  </div>
));
