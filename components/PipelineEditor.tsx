// The YAML editor of a pipeline: a plain form (no JavaScript needed) whose
// errors, from the server, are listed above the text with line:column.

import { type FieldError, ProblemError } from "../lib/api/problem.ts";
import { MAX_PIPELINE_BYTES } from "../lib/pipeline/pipeline_loader.ts";

/** Props of {@linkcode PipelineEditor}. */
export interface PipelineEditorProps {
  /** The YAML shown (what the user sent, after a failed save). */
  text: string;
  message: string;
  errors: FieldError[];
  submitLabel: string;
  /** The JSON Schema URL, for editors with completion. */
  schemaUrl: string;
}

/** The definition textarea, the version message and every error. */
export function PipelineEditor(props: PipelineEditorProps) {
  const { errors } = props;
  return (
    <form method="post" class="pipeline-editor">
      {errors.length > 0 && (
        <div class="error" id="yaml-errors" role="alert">
          <p>
            {errors.length === 1
              ? "The pipeline has an error:"
              : `The pipeline has ${errors.length} errors:`}
          </p>
          <ol>
            {errors.map((error, i) => (
              <li
                key={i}
                data-line={error.line}
                data-column={error.column}
              >
                {error.line !== undefined && (
                  <>
                    <span class="position">
                      {error.line}:{error.column}
                    </span>
                    {" "}
                  </>
                )}
                {error.field && (
                  <>
                    <code>{error.field}</code>
                    {" "}
                  </>
                )}
                {error.message}
              </li>
            ))}
          </ol>
        </div>
      )}
      <p>
        <label for="yaml">Definition (YAML)</label>
        <textarea
          id="yaml"
          name="yaml"
          rows={28}
          class="code"
          spellcheck={false}
          aria-invalid={errors.length > 0 ? "true" : undefined}
          aria-describedby={errors.length > 0 ? "yaml-errors" : undefined}
        >
          {props.text}
        </textarea>
      </p>
      <p>
        <label for="message">Version message</label>
        <input
          id="message"
          name="message"
          maxLength={2000}
          value={props.message}
          placeholder="What changed and why"
        />
      </p>
      <button type="submit" id="save-pipeline">{props.submitLabel}</button>
      <p class="hint">
        Editors with the YAML language server complete and check this format
        from its JSON Schema: <a href={props.schemaUrl}>{props.schemaUrl}</a>
      </p>
    </form>
  );
}

/** The editor's fields, or a 413 problem for a body past the limit. */
export async function readEditorForm(
  req: Request,
): Promise<{ text: string; message: string } | ProblemError> {
  // Form encoding can triple the text: allow for it, then check the text.
  if (Number(req.headers.get("content-length")) > 3 * MAX_PIPELINE_BYTES) {
    const message = `document is larger than ${MAX_PIPELINE_BYTES} bytes`;
    return new ProblemError(413, message, [{ field: "", message }]);
  }
  const form = await req.formData().catch(() => new FormData());
  return {
    text: String(form.get("yaml") ?? ""),
    message: String(form.get("message") ?? "").slice(0, 2000),
  };
}
