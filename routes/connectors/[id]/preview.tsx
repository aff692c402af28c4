// Preview: the first rows of a table, a query or a file of a connector. A GET
// form, so a preview is a link that can be shared and reloaded.

import { auditConnectorUse } from "../../../lib/connector/connector_audit.ts";
import { page } from "../../../lib/web/mod.ts";
import { define } from "../../../lib/state.ts";
import {
  type FieldError,
  fieldErrors,
  idParam,
} from "../../../lib/api/problem.ts";
import { getConnector } from "../../../lib/connector/connector_store.ts";
import {
  ConnectorActionError,
  connectorHttpError,
  type Preview,
  PREVIEW_DEFAULT_LIMIT,
  PREVIEW_MAX_LIMIT,
  previewConnector,
  previewRequestSchema,
} from "../../../lib/connector/connector_actions.ts";

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
    const values: Record<string, string> = {};
    for (const key of ["table", "query", "path", "limit"]) {
      const value = ctx.url.searchParams.get(key)?.trim();
      if (value) values[key] = value;
    }
    let preview: Preview | null = null;
    let errors: FieldError[] = [];
    let status = 200;
    // Nothing asked yet: just the form.
    if (values.table || values.query || values.path) {
      const parsed = previewRequestSchema.safeParse(values);
      if (!parsed.success) {
        errors = fieldErrors(parsed.error);
        status = 422;
      } else {
        try {
          await auditConnectorUse(services.db, ctx.state, id, "preview");
          preview = await previewConnector(services, id, parsed.data);
        } catch (error) {
          if (!(error instanceof ConnectorActionError)) throw error;
          errors = [{ field: "", message: error.message }];
          status = (connectorHttpError(error) as { status: number }).status;
        }
      }
    }
    return page({ connector, values, preview, errors }, { status });
  },
});

function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

export default define.page<typeof handler>(({ data }) => {
  const { connector, values, preview } = data;
  return (
    <section>
      <p class="hint">
        <a href="/connectors">Connectors</a> /{" "}
        <a href={`/connectors/${connector.id}`}>{connector.name}</a> /
      </p>
      <h1>Preview of {connector.name}</h1>
      <form method="get" class="form preview-form">
        <label>
          Table <input name="table" value={values.table ?? ""} />
        </label>
        <label>
          …or a query{" "}
          <textarea name="query" rows={3} class="code">
            {values.query ?? ""}
          </textarea>
        </label>
        <label>
          …or a path <input name="path" value={values.path ?? ""} />
        </label>
        <label>
          Rows{" "}
          <input
            name="limit"
            type="number"
            min={1}
            max={PREVIEW_MAX_LIMIT}
            value={values.limit ?? String(PREVIEW_DEFAULT_LIMIT)}
          />
        </label>
        <button type="submit" id="run-preview">Preview</button>
      </form>
      {data.errors.length > 0 && (
        <ul class="error" id="preview-error">
          {data.errors.map((e) => (
            <li key={e.field + e.message}>
              {e.field && `${e.field}: `}
              {e.message}
            </li>
          ))}
        </ul>
      )}
      {preview && (
        <div class="preview-scroll">
          <table id="preview-rows">
            <thead>
              <tr>
                {preview.columns.map((c) => (
                  <th key={c.name} title={c.type}>{c.name}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {preview.rows.map((row, i) => (
                <tr key={i}>
                  {row.map((value, j) => <td key={j}>{cell(value)}</td>)}
                </tr>
              ))}
            </tbody>
          </table>
          <p class="hint">{preview.rows.length} rows</p>
        </div>
      )}
    </section>
  );
});
