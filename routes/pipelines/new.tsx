// A new pipeline written in YAML, validated by the server: every error is
// listed with its line:column and the text is kept for fixing.

import { page } from "../../lib/web/mod.ts";
import { define } from "../../lib/state.ts";
import { type FieldError, ProblemError } from "../../lib/api/problem.ts";
import {
  auditPipelineSave,
  pipelineSchemaUrl,
  savePipelineText,
} from "../../lib/pipeline/pipeline_upload.ts";
import { requestActor } from "../../lib/auth/request_actor.ts";
import {
  PipelineEditor,
  readEditorForm,
} from "../../components/PipelineEditor.tsx";

interface Data {
  text: string;
  message: string;
  errors: FieldError[];
  schemaUrl: string;
}

const STARTER = `name: my_pipeline
description: ""
steps:
  - id: extract
    type: extract
    connector: files
    config:
      path: data.csv
  - id: load
    type: load
    needs: [extract]
    connector: warehouse
    config:
      table: my_table
      mode: replace
`;

export const handler = define.handlers({
  GET(ctx) {
    const schemaUrl = pipelineSchemaUrl(ctx.url, ctx.state.https);
    return page<Data>({
      text: `# yaml-language-server: $schema=${schemaUrl}\n${STARTER}`,
      message: "",
      errors: [],
      schemaUrl,
    });
  },
  async POST(ctx) {
    const schemaUrl = pipelineSchemaUrl(ctx.url, ctx.state.https);
    const form = await readEditorForm(ctx.req);
    if (form instanceof ProblemError) {
      return page<Data>(
        { text: "", message: "", errors: form.errors, schemaUrl },
        { status: form.status },
      );
    }
    const { db } = ctx.state.services;
    try {
      const saved = await savePipelineText(
        db,
        { text: form.text, format: "yaml" },
        { author: ctx.state.user, message: form.message, createOnly: true },
      );
      await auditPipelineSave(db, saved, {
        actor: requestActor(ctx.state),
        ip: ctx.state.ip,
        message: form.message,
      });
      return ctx.redirect(`/pipelines/${saved.id}`);
    } catch (error) {
      if (!(error instanceof ProblemError)) throw error;
      return page<Data>(
        { ...form, errors: error.errors, schemaUrl },
        { status: error.status },
      );
    }
  },
});

export default define.page<typeof handler>(({ data }) => (
  <section>
    <h1>New pipeline</h1>
    <PipelineEditor
      text={data.text}
      message={data.message}
      errors={data.errors}
      submitLabel="Create pipeline"
      schemaUrl={data.schemaUrl}
    />
  </section>
));
