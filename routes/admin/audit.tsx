// The audit log (admins only), newest first, filtered by the same query
// string as `GET /api/v1/audit`; "Older" pages back with `before`.

import { page } from "../../lib/web/mod.ts";
import { define } from "../../lib/state.ts";
import { type FieldError, fieldErrors } from "../../lib/api/problem.ts";
import { type AuditEvent, listAuditEvents } from "../../lib/audit/audit_log.ts";
import { auditQuerySchema } from "../../lib/audit/audit_query.ts";
import { formatTime } from "../../components/format.ts";

const PAGE_SIZE = 100;

/** The filter form's fields, as in the query string. */
const FILTERS = [
  { name: "actor", label: "Actor", hint: "part of an email" },
  { name: "action", label: "Action", hint: "e.g. auth.sign_in, or auth." },
  { name: "target_type", label: "Target type", hint: "e.g. connector" },
  { name: "target_id", label: "Target id", hint: "" },
  { name: "since", label: "Since", hint: "e.g. 2026-01-31T08:00Z" },
  { name: "until", label: "Until", hint: "e.g. 2026-02-01" },
] as const;

interface Data {
  values: Record<string, string>;
  errors: FieldError[];
  events: AuditEvent[];
  /** Query string of the next (older) page, when there may be one. */
  older: string | null;
}

const TARGET_PAGES: Record<string, string> = {
  connector: "/connectors/",
  pipeline: "/pipelines/",
  run: "/runs/",
  user: "/admin/users/",
};

export const handler = define.handlers({
  async GET(ctx) {
    const values = Object.fromEntries(
      [...ctx.url.searchParams].filter(([, value]) => value !== ""),
    );
    const parsed = auditQuerySchema.safeParse(values);
    if (!parsed.success) {
      return page<Data>({
        values,
        errors: fieldErrors(parsed.error),
        events: [],
        older: null,
      }, { status: 422 });
    }
    const q = parsed.data;
    const limit = q.limit ?? PAGE_SIZE;
    const events = await listAuditEvents(ctx.state.services.db, {
      actor: q.actor,
      action: q.action,
      targetType: q.target_type,
      targetId: q.target_id,
      since: q.since,
      until: q.until,
      before: q.before,
      limit,
    });
    let older = null;
    if (events.length === limit) {
      const params = new URLSearchParams(values);
      params.set("before", String(events[events.length - 1].id));
      older = params.toString();
    }
    return page<Data>({ values, errors: [], events, older });
  },
});

function Target({ event }: { event: AuditEvent }) {
  if (!event.targetType) return <>—</>;
  const base = TARGET_PAGES[event.targetType];
  const label = `${event.targetType} ${event.targetId ?? ""}`.trim();
  return (
    <>
      {base && event.targetId
        ? <a href={base + encodeURIComponent(event.targetId)}>{label}</a>
        : label}
      {event.targetName && <span class="hint">{event.targetName}</span>}
    </>
  );
}

export default define.page<typeof handler>(({ data }) => (
  <section>
    <h1>Audit log</h1>
    <form method="get" action="/admin/audit" class="filters" id="audit-filters">
      {FILTERS.map((f) => {
        const invalid = data.errors.some((e) => e.field === f.name);
        return (
          <label key={f.name}>
            {f.label}
            <input
              name={f.name}
              id={`filter-${f.name}`}
              value={data.values[f.name] ?? ""}
              placeholder={f.hint}
              aria-invalid={invalid || undefined}
            />
          </label>
        );
      })}
      <button type="submit" id="filter">Filter</button>{" "}
      <a href="/admin/audit">Clear</a>
    </form>
    {data.errors.length > 0
      ? (
        <ul class="error" id="filter-errors">
          {data.errors.map((e) => (
            <li key={e.field} data-error-for={e.field}>
              {e.field ? `${e.field}: ` : ""}
              {e.message}
            </li>
          ))}
        </ul>
      )
      : data.events.length === 0
      ? <p class="hint" id="no-events">No events match.</p>
      : (
        <table id="audit-events">
          <thead>
            <tr>
              <th>Time (UTC)</th>
              <th>Actor</th>
              <th>Action</th>
              <th>Target</th>
              <th>IP</th>
              <th>Detail</th>
            </tr>
          </thead>
          <tbody>
            {data.events.map((e) => (
              <tr key={e.id} data-event={e.id} data-action={e.action}>
                <td>{formatTime(e.at.toISOString())}</td>
                <td class="actor">{e.actor}</td>
                <td class="action">{e.action}</td>
                <td class="target">
                  <Target event={e} />
                </td>
                <td>{e.ip}</td>
                <td>
                  {Object.keys(e.detail ?? {}).length > 0 && (
                    <code class="detail">{JSON.stringify(e.detail)}</code>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    {data.older && (
      <p>
        <a href={`/admin/audit?${data.older}`} id="older">Older</a>
      </p>
    )}
  </section>
));
