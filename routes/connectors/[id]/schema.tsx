// A connector's schema: its tables (objects, endpoints), columns and types,
// each with a link to preview its first rows.

import { auditConnectorUse } from "../../../lib/connector/connector_audit.ts";
import { page } from "../../../lib/web/mod.ts";
import { define } from "../../../lib/state.ts";
import { idParam } from "../../../lib/api/problem.ts";
import { getConnector } from "../../../lib/connector/connector_store.ts";
import {
  ConnectorActionError,
  connectorHttpError,
  discoverConnector,
} from "../../../lib/connector/connector_actions.ts";
import type { DiscoveredTable } from "../../../connectors/types.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const id = idParam(ctx.params.id, "Connector");
    const { services } = ctx.state;
    let connector;
    try {
      connector = await getConnector(services.db, id);
    } catch (error) {
      throw connectorHttpError(error);
    }
    let tables: DiscoveredTable[] = [];
    let failure: string | null = null;
    try {
      await auditConnectorUse(services.db, ctx.state, id, "schema");
      tables = await discoverConnector(services, id);
    } catch (error) {
      if (!(error instanceof ConnectorActionError)) throw error;
      failure = error.message;
    }
    return page({ connector, tables, failure }, {
      status: failure ? 502 : 200,
    });
  },
});

export default define.page<typeof handler>(({ data }) => {
  const { connector } = data;
  const base = `/connectors/${connector.id}`;
  return (
    <section>
      <p class="hint">
        <a href="/connectors">Connectors</a> /{" "}
        <a href={base}>{connector.name}</a> /
      </p>
      <h1>Schema of {connector.name}</h1>
      {data.failure && <p class="error" id="schema-error">{data.failure}</p>}
      {!data.failure && data.tables.length === 0 && (
        <p class="hint">No tables found.</p>
      )}
      {data.tables.map((table) => (
        <div class="schema-table" key={`${table.schema}.${table.name}`}>
          <h2 data-table={table.name}>
            {table.schema ? `${table.schema}.` : ""}
            {table.name}{" "}
            <a
              class="hint"
              href={`${base}/preview?table=${encodeURIComponent(table.name)}`}
            >
              preview
            </a>
          </h2>
          <table>
            <thead>
              <tr>
                <th>Column</th>
                <th>Type</th>
              </tr>
            </thead>
            <tbody>
              {table.columns.map((column) => (
                <tr key={column.name}>
                  <td>{column.name}</td>
                  <td>
                    <code>{column.type}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </section>
  );
});
