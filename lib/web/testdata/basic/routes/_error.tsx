import { HttpError } from "../../../mod.ts";
import { define } from "../state.ts";

export default define.page(({ error }) => (
  <p class="error-page">
    {error instanceof HttpError ? error.message : "Something went wrong"}
  </p>
));
