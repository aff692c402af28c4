// What changed between two versions of a pipeline (`?from=N&to=M`, by
// default the previous version → the current one), removed and added lines
// marked.

import { HttpError, page } from "../../../lib/web/mod.ts";
import { define } from "../../../lib/state.ts";
import { idParam } from "../../../lib/api/problem.ts";
import { getPipeline } from "../../../lib/pipeline/pipeline_store.ts";
import {
  diffRange,
  diffVersions,
  listVersions,
} from "../../../lib/pipeline/pipeline_versions.ts";

export const handler = define.handlers({
  async GET(ctx) {
    const { db } = ctx.state.services;
    const pipeline = await getPipeline(db, idParam(ctx.params.id, "Pipeline"));
    if (!pipeline) {
      throw new HttpError(404, `Pipeline "${ctx.params.id}" not found`);
    }
    const { from, to } = await diffRange(db, pipeline.id, {
      from: ctx.url.searchParams.get("from"),
      to: ctx.url.searchParams.get("to"),
    });
    return page({
      pipeline: { id: pipeline.id, name: pipeline.name },
      versions: await listVersions(db, pipeline.id),
      from,
      to,
      diff: await diffVersions(db, pipeline.id, from, to),
    });
  },
});

/** The CSS class of one line of a unified diff (the first two are its headers). */
function lineClass(line: string, index: number): string {
  if (index < 2) return "diff-file";
  if (line.startsWith("@@")) return "diff-hunk";
  if (line.startsWith("+")) return "diff-add";
  if (line.startsWith("-")) return "diff-del";
  return "diff-same";
}

function VersionSelect(
  props: { name: string; label: string; value: number; versions: number[] },
) {
  return (
    <label>
      {props.label}
      <select name={props.name} id={`diff-${props.name}`}>
        {props.versions.map((v) => (
          <option key={v} value={v} selected={v === props.value}>
            version {v}
          </option>
        ))}
      </select>
    </label>
  );
}

export default define.page<typeof handler>(({ data }) => {
  const { id, name } = data.pipeline;
  const numbers = data.versions.map((v) => v.version);
  const lines = data.diff === ""
    ? []
    : data.diff.replace(/\n$/, "").split("\n");
  return (
    <section>
      <p class="hint">
        <a href={`/pipelines/${id}`}>{name}</a> ·{" "}
        <a href={`/pipelines/${id}/versions`}>Versions</a>
      </p>
      <h1>
        Changes to {name} from version {data.from} to version {data.to}
      </h1>
      <form method="get" class="filters" id="diff-form">
        <VersionSelect
          name="from"
          label="From"
          value={data.from}
          versions={numbers}
        />
        <VersionSelect
          name="to"
          label="To"
          value={data.to}
          versions={numbers}
        />
        <button type="submit" id="compare">Compare</button>
      </form>
      {lines.length === 0
        ? (
          <p class="hint" id="no-changes">
            No differences between version {data.from} and version {data.to}.
          </p>
        )
        : (
          <pre class="diff" id="diff">{lines.map((line, i) => (
            <span key={i} class={lineClass(line, i)}>{line + "\n"}</span>
          ))}</pre>
        )}
    </section>
  );
});
