import { HttpError } from "../lib/web/mod.ts";
import { define } from "../lib/state.ts";

export default define.page(({ error }) => {
  const status = error instanceof HttpError ? error.status : 500;
  const message = error instanceof HttpError
    ? error.message
    : "Something went wrong on our side.";
  return (
    <section>
      <h1>{status === 404 ? "Not found" : `Error ${status}`}</h1>
      <p class="error">{message}</p>
      <p>
        <a href="/">Back to the dashboard</a>
      </p>
    </section>
  );
});
