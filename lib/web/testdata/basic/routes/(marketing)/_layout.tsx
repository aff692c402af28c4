import { define } from "../../state.ts";

export default define.page(({ Component }) => (
  <div class="marketing-layout">
    <Component />
  </div>
));
