// A new connector: pick a kind, then fill in the form generated from that
// kind's config schema. Works without JavaScript: the form posts here.

import { recordAudit } from "../../lib/audit/audit_log.ts";
import { requestActor } from "../../lib/auth/request_actor.ts";
import { page } from "../../lib/web/mod.ts";
import { define } from "../../lib/state.ts";
import type { FieldError } from "../../lib/api/problem.ts";
import { createConnector } from "../../lib/connector/connector_store.ts";
import {
  connectorHttpError,
  type ConnectorKindInfo,
  describeConnectorKind,
  describeConnectorKinds,
} from "../../lib/connector/connector_actions.ts";
import { ProblemError } from "../../lib/api/problem.ts";
import {
  configFromForm,
  ConnectorForm,
} from "../../components/ConnectorForm.tsx";

interface Data {
  /** The chosen kind, or null while picking one. */
  kind: ConnectorKindInfo | null;
  kinds: ConnectorKindInfo[];
  name: string;
  config: Record<string, unknown>;
  errors: FieldError[];
}

function creatable(name: string | null): ConnectorKindInfo | null {
  const kind = name ? describeConnectorKind(name) : undefined;
  return kind?.creatable ? kind : null;
}

const kinds = () => describeConnectorKinds().filter((k) => k.creatable);

export const handler = define.handlers({
  GET(ctx) {
    const kind = creatable(ctx.url.searchParams.get("kind"));
    return page<Data>({
      kind,
      kinds: kinds(),
      name: "",
      config: {},
      errors: [],
    });
  },
  async POST(ctx) {
    const form = await ctx.req.formData();
    const kind = creatable(String(form.get("kind") ?? ""));
    if (!kind) {
      const errors = [{ field: "kind", message: "Choose a kind of connector" }];
      return page<Data>(
        { kind, kinds: kinds(), name: "", config: {}, errors },
        { status: 422 },
      );
    }
    const submitted = configFromForm(kind, form);
    let errors = submitted.errors;
    if (errors.length === 0) {
      const { db, box } = ctx.state.services;
      try {
        const view = await createConnector(db, box, {
          name: submitted.name,
          kind: kind.name,
          config: submitted.config,
          ownerId: ctx.state.user?.userId,
        });
        await recordAudit(db, {
          actor: requestActor(ctx.state),
          action: "connector.create",
          target: { type: "connector", id: view.id, name: view.name },
          ip: ctx.state.ip,
          detail: { kind: view.kind },
        });
        return ctx.redirect(`/connectors/${view.id}`);
      } catch (error) {
        const http = connectorHttpError(error);
        if (!(http instanceof ProblemError)) throw http;
        errors = http.errors;
      }
    }
    // Secrets are never echoed back, even into a form that failed.
    const config = { ...submitted.config };
    for (const field of kind.secretFields) delete config[field];
    return page<Data>(
      { kind, kinds: kinds(), name: submitted.name, config, errors },
      { status: 422 },
    );
  },
});

export default define.page<typeof handler>(({ data }) => (
  <section>
    <h1>New connector</h1>
    {data.kind
      ? (
        <>
          <p class="hint">
            {data.kind.label} · <a href="/connectors/new">another kind</a>
          </p>
          <ConnectorForm
            kind={data.kind}
            name={data.name}
            config={data.config}
            errors={data.errors}
            submitLabel="Create connector"
            hidden={{ kind: data.kind.name }}
          />
        </>
      )
      : (
        <>
          {data.errors.length > 0 && (
            <p class="error" id="form-errors">{data.errors[0].message}</p>
          )}
          <ul class="kind-picker" id="kind-picker">
            {data.kinds.map((k) => (
              <li key={k.name}>
                <a href={`/connectors/new?kind=${encodeURIComponent(k.name)}`}>
                  {k.label}
                </a>{" "}
                <span class="hint">
                  {[k.canRead && "reads", k.canWrite && "writes"].filter(
                    Boolean,
                  )
                    .join(", ")}
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
  </section>
));
