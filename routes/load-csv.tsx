import { page } from "../lib/web/mod.ts";
import { define } from "../lib/state.ts";
import { csvLoadSchema } from "../lib/pipeline/csv_load.ts";
import {
  type FieldError,
  fieldErrors,
  ProblemError,
} from "../lib/api/problem.ts";
import { runCsvLoad } from "../lib/run_csv_load.ts";
import CsvUpload from "../islands/CsvUpload.tsx";
import { can } from "../lib/rbac/permissions.ts";
import type { State } from "../lib/state.ts";

interface Data {
  targets: { name: string; kind: string }[];
  errors: FieldError[];
  values: Record<string, string>;
}

// The database connectors this user may load into: the built-in warehouse
// and those whose credentials their role lets them use (pipeline_store.ts
// refuses the others).
async function targets(ctx: { state: State }) {
  const rows = await ctx.state.services.db.query<{
    name: string;
    kind: string;
    builtin: boolean;
    owner_id: number | null;
    shared: number[];
  }>(
    `select c.name, c.kind, c.builtin, c.owner_id, array(
        select user_id from resource_share
         where resource_type = 'connector' and resource_id = c.id
      ) as shared
      from connector c where c.kind in ('postgres', 'warehouse')
      order by c.builtin desc, c.name`,
  );
  return rows.filter((row) =>
    row.builtin || can(ctx.state.user, "connector.use", {
      ownerId: row.owner_id === null ? null : Number(row.owner_id),
      sharedWith: (row.shared ?? []).map(Number),
    })
  ).map(({ name, kind }) => ({ name, kind }));
}

export const handler = define.handlers({
  async GET(ctx) {
    return page<Data>({ targets: await targets(ctx), errors: [], values: {} });
  },
  async POST(ctx) {
    const form = await ctx.req.formData();
    const values: Record<string, string> = {};
    for (const [key, value] of form) {
      if (typeof value === "string" && value !== "") values[key] = value;
    }
    const parsed = csvLoadSchema.safeParse(values);
    let errors: FieldError[];
    if (parsed.success) {
      try {
        const { runId } = await runCsvLoad(
          ctx.state.services,
          parsed.data,
          "manual",
          ctx.state,
        );
        return ctx.redirect(`/runs/${runId}`);
      } catch (error) {
        if (!(error instanceof ProblemError)) throw error;
        errors = error.errors;
      }
    } else {
      errors = fieldErrors(parsed.error);
    }
    return page<Data>({ targets: await targets(ctx), errors, values }, {
      status: 422,
    });
  },
});

export default define.page<typeof handler>(({ data }) => (
  <section>
    <h1>Load a CSV</h1>
    <p class="hint">
      Upload a file (or name one on the server), pick a target and a table, and
      press Run. The table is created from the file's header and inferred column
      types when it does not exist.
    </p>
    {data.errors.length > 0 && (
      <ul class="error" id="form-errors">
        {data.errors.map((e) => <li key={e.field}>{e.field}: {e.message}</li>)}
      </ul>
    )}
    <form method="post" class="form">
      <CsvUpload field="upload" />
      <label>
        …or a path on the server
        <input
          name="path"
          value={data.values.path ?? ""}
          placeholder="/srv/data/orders.csv"
        />
      </label>
      <label>
        Delimiter
        <input
          name="delimiter"
          value={data.values.delimiter ?? ","}
          maxLength={1}
          size={2}
        />
      </label>
      <label>
        Target
        <select name="connector">
          {data.targets.map((t) => (
            <option
              key={t.name}
              value={t.name}
              selected={data.values.connector === t.name}
            >
              {t.name} ({t.kind})
            </option>
          ))}
        </select>
      </label>
      <label>
        Table
        <input
          name="table"
          id="table"
          required
          value={data.values.table ?? ""}
          placeholder="sales"
        />
      </label>
      <label>
        Mode
        <select name="mode">
          <option value="append">append</option>
          <option value="replace" selected={data.values.mode === "replace"}>
            replace
          </option>
        </select>
      </label>
      <button type="submit" id="run">Run</button>
    </form>
  </section>
));
