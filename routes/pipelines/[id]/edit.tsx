// Edit a pipeline as YAML: the current version's canonical text; saving
// adds a version (nothing when unchanged) or lists every error by line.

import { HttpError, page } from "../../../lib/web/mod.ts";
import { define } from "../../../lib/state.ts";
import {
  type FieldError,
  idParam,
  ProblemError,
} from "../../../lib/api/problem.ts";
import { getPipeline } from "../../../lib/pipeline/pipeline_store.ts";
import {
  auditPipelineSave,
  pipelineSchemaUrl,
  pipelineYamlDocument,
  savePipelineText,
} from "../../../lib/pipeline/pipeline_upload.ts";
import { requestActor } from "../../../lib/auth/request_actor.ts";
import {
  PipelineEditor,
  readEditorForm,
} from "../../../components/PipelineEditor.tsx";

interface Data {
  id: number;
  name: string;
  version: number;
  text: string;
  message: string;
  errors: FieldError[];
  schemaUrl: string;
}

export const handler = define.handlers({
  async GET(ctx) {
    const id = idParam(ctx.params.id, "Pipeline");
    const pipeline = await getPipeline(ctx.state.services.db, id);
    if (!pipeline) {
      throw new HttpError(404, `Pipeline "${ctx.params.id}" not found`);
    }
    const schemaUrl = pipelineSchemaUrl(ctx.url, ctx.state.https);
    return page<Data>({
      id,
      name: pipeline.name,
      version: pipeline.current_version,
      text: pipelineYamlDocument(pipeline.definition, schemaUrl),
      message: "",
      errors: [],
      schemaUrl,
    });
  },
  async POST(ctx) {
    const id = idParam(ctx.params.id, "Pipeline");
    const { db } = ctx.state.services;
    const pipeline = await getPipeline(db, id);
    if (!pipeline) {
      throw new HttpError(404, `Pipeline "${ctx.params.id}" not found`);
    }
    const schemaUrl = pipelineSchemaUrl(ctx.url, ctx.state.https);
    const base = {
      id,
      name: pipeline.name,
      version: pipeline.current_version,
      schemaUrl,
    };
    const form = await readEditorForm(ctx.req);
    if (form instanceof ProblemError) {
      return page<Data>(
        { ...base, text: "", message: "", errors: form.errors },
        { status: form.status },
      );
    }
    try {
      const saved = await savePipelineText(
        db,
        { text: form.text, format: "yaml" },
        { id, author: ctx.state.user, message: form.message },
      );
      await auditPipelineSave(db, saved, {
        actor: requestActor(ctx.state),
        ip: ctx.state.ip,
        message: form.message,
      });
      return ctx.redirect(`/pipelines/${id}`);
    } catch (error) {
      if (!(error instanceof ProblemError)) throw error;
      return page<Data>(
        { ...base, ...form, errors: error.errors },
        { status: error.status },
      );
    }
  },
});

export default define.page<typeof handler>(({ data }) => (
  <section>
    <h1>
      Edit <a href={`/pipelines/${data.id}`}>{data.name}</a>
    </h1>
    <p class="hint">
      Version {data.version}. Saving adds a new version; the old ones stay.
    </p>
    <PipelineEditor
      text={data.text}
      message={data.message}
      errors={data.errors}
      submitLabel="Save new version"
      schemaUrl={data.schemaUrl}
    />
  </section>
));
