import { page } from "../../lib/web/mod.ts";
import { define } from "../../lib/state.ts";
import { connectorKinds } from "../../connectors/registry.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const connectors = await ctx.state.services.db.query<
      { id: number; name: string; kind: string; builtin: boolean }
    >(
      "select id, name, kind, builtin from connector order by builtin desc, name",
    );
    return page({ connectors });
  },
});

export default define.page<typeof handler>(({ data }) => (
  <section>
    <h1>Connectors</h1>
    <table>
      <thead>
        <tr>
          <th>Name</th>
          <th>Kind</th>
          <th>Reads</th>
          <th>Writes</th>
        </tr>
      </thead>
      <tbody>
        {data.connectors.map((c) => {
          const kind = connectorKinds[c.kind];
          return (
            <tr key={c.id}>
              <td>
                {c.name} {c.builtin && <span class="hint">(built-in)</span>}
              </td>
              <td>{kind?.label ?? c.kind}</td>
              <td>{kind?.canRead ? "yes" : "no"}</td>
              <td>{kind?.canWrite ? "yes" : "no"}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
    <p class="hint">
      Add PostgreSQL connectors with <code>POST /api/v1/connectors</code>.
    </p>
  </section>
));
