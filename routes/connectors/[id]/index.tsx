// A connector's page: its generated edit form, Test connection, links to its
// schema and a preview, Delete, and who it is shared with. Built-ins show no
// edit or delete, and each part shows only to those whose role allows it.
// Every action is a plain form post here (`_action`), so no JavaScript is
// needed.

import { recordAudit } from "../../../lib/audit/audit_log.ts";
import { requestActor } from "../../../lib/auth/request_actor.ts";
import { changedSecrets } from "../../../lib/connector/connector_audit.ts";
import { page } from "../../../lib/web/mod.ts";
import { define, type State } from "../../../lib/state.ts";
import { can } from "../../../lib/rbac/permissions.ts";
import { setShares } from "../../../lib/rbac/shares.ts";
import {
  sharedUserIds,
  type Sharing,
  sharingView,
} from "../../../lib/rbac/sharing_view.ts";
import { SharesSection } from "../../../components/SharesSection.tsx";
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
  sharing: Sharing;
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

async function data(
  state: State,
  connector: ConnectorView,
  more: Partial<Data> = {},
): Promise<Data> {
  return {
    connector,
    sharing: await sharingView(state, "connector", connector.id),
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
    return page(
      await data(ctx.state, connector, {
        saved: ctx.url.searchParams.has("saved") ||
          ctx.url.searchParams.has("shared"),
      }),
    );
  },
  async POST(ctx) {
    const connector = await load(ctx);
    const { services } = ctx.state;
    const form = await ctx.req.formData();
    const action = String(form.get("_action") ?? "save");
    if (action === "test") {
      return page(
        await data(ctx.state, connector, {
          test: await testConnector(services, connector.id),
        }),
      );
    }
    if (action === "share") {
      // authorize() checked connector.share (route_policies.ts "actions").
      const userIds = sharedUserIds(form);
      if (!userIds) {
        throw new ProblemError(
          422,
          `Cannot share connector "${connector.name}": user must be user ids`,
          [{ field: "user", message: "must be user ids" }],
        );
      }
      const shares = await setShares(
        services.db,
        "connector",
        connector.id,
        userIds,
      );
      await recordAudit(services.db, {
        actor: requestActor(ctx.state),
        action: "connector.share",
        target: { type: "connector", id: connector.id, name: connector.name },
        ip: ctx.state.ip,
        detail: { userIds: shares.map((share) => share.userId) },
      });
      return ctx.redirect(`/connectors/${connector.id}?shared`);
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
      try {
        await deleteConnector(services.db, connector.id);
      } catch (error) {
        throw connectorHttpError(error);
      }
      await recordAudit(services.db, {
        actor: requestActor(ctx.state),
        action: "connector.delete",
        target: { type: "connector", id: connector.id, name: connector.name },
        ip: ctx.state.ip,
      });
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
        await recordAudit(services.db, {
          actor: requestActor(ctx.state),
          action: "connector.update",
          target: { type: "connector", id: connector.id, name: submitted.name },
          ip: ctx.state.ip,
          detail: { secretsChanged: changedSecrets(submitted.config) },
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
    return page(
      await data(ctx.state, connector, {
        name: submitted.name,
        config,
        errors,
      }),
      { status: 422 },
    );
  },
});

export default define.page<typeof handler>(({ data, state }) => {
  const { connector, kind, sharing } = data;
  const ownership = state.ownership ?? undefined;
  const canUse = can(state.user, "connector.use", ownership);
  const canEdit = can(state.user, "connector.edit", ownership);
  return (
    <section>
      <p class="hint">
        <a href="/connectors">Connectors</a> /
      </p>
      <h1 id="connector-name">{connector.name}</h1>
      <p class="hint">
        {kind?.label ?? connector.kind}
        {connector.builtin && " · built in: it cannot be edited or deleted"}
        {sharing.ownerEmail && (
          <>
            {" "}· owner <span id="owner">{sharing.ownerEmail}</span>
          </>
        )}
      </p>
      {data.saved && <p class="ok" id="saved">Saved.</p>}
      {canUse && (
        <>
          <ConnectorTest id={connector.id} initial={data.test} />
          <p class="connector-links">
            <a href={`/connectors/${connector.id}/schema`} id="browse-schema">
              Schema
            </a>{" "}
            ·{" "}
            <a href={`/connectors/${connector.id}/preview`} id="preview">
              Preview
            </a>
          </p>
        </>
      )}
      {canEdit && !connector.builtin && kind && (
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
      <SharesSection sharing={sharing} grants="change, test and browse it" />
    </section>
  );
});
