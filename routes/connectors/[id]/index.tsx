// A connector's page: its generated edit form, Test connection, links to its
// schema and a preview, and Delete. Built-ins show no edit or delete. Every
// action is a plain form post here (`_action`), so no JavaScript is needed.

import { page } from "../../../lib/web/mod.ts";
import { define, type State } from "../../../lib/state.ts";
import {
  type FieldError,
  idParam,
  ProblemError,
} from "../../../lib/api/problem.ts";
import {
  type ConnectorView,
  deleteConnector,
  getConnector,
  updateConnector,
} from "../../../lib/connector/connector_store.ts";
import {
  connectorHttpError,
  type ConnectorKindInfo,
  describeConnectorKind,
  editableConnector,
  testConnector,
  type TestResult,
} from "../../../lib/connector/connector_actions.ts";
import {
  configFromForm,
  ConnectorForm,
} from "../../../components/ConnectorForm.tsx";
import ConnectorTest from "../../../islands/ConnectorTest.tsx";

interface Data {
  connector: ConnectorView;
  kind: ConnectorKindInfo | undefined;
  name: string;
  config: Record<string, unknown>;
  errors: FieldError[];
  test: TestResult | null;
  saved: boolean;
}

async function load(ctx: { params: Record<string, string>; state: State }) {
  const id = idParam(ctx.params.id, "Connector");
  try {
    return await getConnector(ctx.state.services.db, id);
  } catch (error) {
    throw connectorHttpError(error);
  }
}

function data(connector: ConnectorView, more: Partial<Data> = {}): Data {
  return {
    connector,
    kind: describeConnectorKind(connector.kind),
    name: connector.name,
    config: connector.config,
    errors: [],
    test: null,
    saved: false,
    ...more,
  };
}

export const handler = define.handlers({
  async GET(ctx) {
    const connector = await load(ctx);
    return page(data(connector, { saved: ctx.url.searchParams.has("saved") }));
  },
  async POST(ctx) {
    const connector = await load(ctx);
    const { services } = ctx.state;
    const form = await ctx.req.formData();
    const action = String(form.get("_action") ?? "save");
    if (action === "test") {
      return page(data(connector, {
        test: await testConnector(services, connector.id),
      }));
    }
    try {
      await editableConnector(
        services.db,
        connector.id,
        action === "delete" ? "delete" : "update",
      );
    } catch (error) {
      throw connectorHttpError(error);
    }
    if (action === "delete") {
      await deleteConnector(services.db, connector.id);
      return ctx.redirect("/connectors");
    }
    const kind = describeConnectorKind(connector.kind)!;
    const submitted = configFromForm(kind, form);
    let errors = submitted.errors;
    if (errors.length === 0) {
      try {
        await updateConnector(services.db, services.box, connector.id, {
          name: submitted.name,
          config: submitted.config,
        });
        return ctx.redirect(`/connectors/${connector.id}?saved`);
      } catch (error) {
        const http = connectorHttpError(error);
        if (!(http instanceof ProblemError)) throw http;
        errors = http.errors;
      }
    }
    // A typed secret is not echoed back; the stored one still shows as set.
    const config = { ...submitted.config };
    for (const field of kind.secretFields) {
      if (connector.config[field] !== undefined) {
        config[field] = connector.config[field];
      } else delete config[field];
    }
    return page(data(connector, { name: submitted.name, config, errors }), {
      status: 422,
    });
  },
});

export default define.page<typeof handler>(({ data }) => {
  const { connector, kind } = data;
  return (
    <section>
      <p class="hint">
        <a href="/connectors">Connectors</a> /
      </p>
      <h1 id="connector-name">{connector.name}</h1>
      <p class="hint">
        {kind?.label ?? connector.kind}
        {connector.builtin && " · built in: it cannot be edited or deleted"}
      </p>
      {data.saved && <p class="ok" id="saved">Saved.</p>}
      <ConnectorTest id={connector.id} initial={data.test} />
      <p class="connector-links">
        <a href={`/connectors/${connector.id}/schema`} id="browse-schema">
          Schema
        </a>{" "}
        ·{" "}
        <a href={`/connectors/${connector.id}/preview`} id="preview">Preview</a>
      </p>
      {!connector.builtin && kind && (
        <>
          <h2>Settings</h2>
          <ConnectorForm
            kind={kind}
            name={data.name}
            config={data.config}
            errors={data.errors}
            submitLabel="Save"
          />
          <h2>Delete</h2>
          <form method="post" class="danger">
            <input type="hidden" name="_action" value="delete" />
            <button type="submit" id="delete-connector">
              Delete {connector.name}
            </button>
          </form>
        </>
      )}
    </section>
  );
});
