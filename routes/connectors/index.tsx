// The connectors list: every connector with its kind, what it can do, and
// a link to its page (edit, test, schema, preview).

import { page } from "../../lib/web/mod.ts";
import { define } from "../../lib/state.ts";
import { listConnectors } from "../../lib/connector/connector_store.ts";
import { connectorKinds } from "../../connectors/registry.ts";
import { can } from "../../lib/rbac/permissions.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const { db } = ctx.state.services;
    const connectors = await listConnectors(db);
    // Built-ins first: they are there on every install.
    connectors.sort((a, b) => Number(b.builtin) - Number(a.builtin));
    // Which ones this user may edit, to say "Edit" or "Open".
    const owners = await db.query<{
      id: number;
      owner_id: number | null;
      shared: number[];
    }>(
      `select c.id, c.owner_id, array(
          select user_id from resource_share
           where resource_type = 'connector' and resource_id = c.id
        ) as shared from connector c`,
    );
    const editable = owners.filter((row) =>
      can(ctx.state.user, "connector.edit", {
        ownerId: row.owner_id === null ? null : Number(row.owner_id),
        sharedWith: (row.shared ?? []).map(Number),
      })
    ).map((row) => Number(row.id));
    return page({ connectors, editable });
  },
});

export default define.page<typeof handler>(({ data, state }) => (
  <section>
    <div class="page-head">
      <h1>Connectors</h1>
      {can(state.user, "connector.create") && (
        <a class="button" href="/connectors/new" id="new-connector">
          New connector
        </a>
      )}
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
                  {!c.builtin && data.editable.includes(c.id) ? "Edit" : "Open"}
                </a>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  </section>
));
