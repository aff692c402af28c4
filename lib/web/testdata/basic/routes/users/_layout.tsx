import { define } from "../../state.ts";

export default define.page(({ Component }) => (
  <section class="users-layout">
    <Component />
  </section>
));
