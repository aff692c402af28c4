// The connectors list: every connector with its kind, what it can do, and
// a link to its page (edit, test, schema, preview).

import { page } from "../../lib/web/mod.ts";
import { define } from "../../lib/state.ts";
import { listConnectors } from "../../lib/connector/connector_store.ts";
import { connectorKinds } from "../../connectors/registry.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const connectors = await listConnectors(ctx.state.services.db);
    // Built-ins first: they are there on every install.
    connectors.sort((a, b) => Number(b.builtin) - Number(a.builtin));
    return page({ connectors });
  },
});

export default define.page<typeof handler>(({ data }) => (
  <section>
    <div class="page-head">
      <h1>Connectors</h1>
      <a class="button" href="/connectors/new" id="new-connector">
        New connector
      </a>
    </div>
    <table id="connectors">
      <thead>
        <tr>
          <th>Name</th>
          <th>Kind</th>
          <th>Reads</th>
          <th>Writes</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        {data.connectors.map((c) => {
          const kind = connectorKinds[c.kind];
          return (
            <tr key={c.id} data-connector={c.name}>
              <td>
                <a href={`/connectors/${c.id}`}>{c.name}</a>{" "}
                {c.builtin && <span class="hint">(built-in)</span>}
              </td>
              <td>{kind?.label ?? c.kind}</td>
              <td>{kind?.canRead ? "yes" : "no"}</td>
              <td>{kind?.canWrite ? "yes" : "no"}</td>
              <td>
                <a href={`/connectors/${c.id}`}>
                  {c.builtin ? "Open" : "Edit"}
                </a>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  </section>
));
