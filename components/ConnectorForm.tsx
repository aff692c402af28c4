// The connector form, generated from a kind's JSON Schema (itself made from
// the zod config schema), and its inverse: form data back to a config. Input
// names are the API's field paths (`config.port`), so a 422's field errors
// land next to their input without any mapping.

import type { FieldError } from "../lib/api/problem.ts";
import type {
  ConnectorKindInfo,
  JsonSchema,
} from "../lib/connector/connector_actions.ts";

/** How one config property is edited. */
export type FieldControl =
  | "text"
  | "number"
  | "integer"
  | "checkbox"
  | "tristate"
  | "select"
  | "password"
  | "json";

/** One generated form field. */
export interface FormField {
  /** The property name, e.g. `port`; the input is named `config.port`. */
  key: string;
  control: FieldControl;
  required: boolean;
  schema: JsonSchema;
}

/** The fields of a kind's config, in schema order. */
export function formFields(kind: ConnectorKindInfo): FormField[] {
  const required = new Set(kind.schema.required ?? []);
  return Object.entries(kind.schema.properties ?? {}).map(([key, raw]) => {
    const schema = nonNull(raw);
    return {
      key,
      schema,
      required: required.has(key) && schema.default === undefined,
      control: controlOf(schema, required.has(key)),
    };
  });
}

// `.nullable()` becomes anyOf [T, null]; the form edits T.
function nonNull(schema: JsonSchema): JsonSchema {
  const options = schema.anyOf?.filter((s) => s.type !== "null");
  if (options?.length === 1) {
    const { anyOf: _, ...rest } = schema;
    return { ...rest, ...options[0] };
  }
  return schema;
}

function controlOf(schema: JsonSchema, required: boolean): FieldControl {
  if (schema.secret) return "password";
  if (Array.isArray(schema.enum)) return "select";
  switch (schema.type) {
    case "string":
      return "text";
    case "integer":
      return "integer";
    case "number":
      return "number";
    case "boolean":
      // An unchecked box means false; an optional flag also needs "not set".
      return required || schema.default !== undefined ? "checkbox" : "tristate";
  }
  return "json";
}

/** A form's name and config, with the errors found before zod even runs. */
export interface SubmittedConnector {
  name: string;
  config: Record<string, unknown>;
  errors: FieldError[];
}

/**
 * Reads a posted form back into `{ name, config }`. Empty inputs are left out
 * so defaults apply and stored secrets are kept; values that do not convert
 * stay as typed so zod reports them at their field.
 */
export function configFromForm(
  kind: ConnectorKindInfo,
  form: FormData,
): SubmittedConnector {
  const text = (name: string) => {
    const value = form.get(name);
    return typeof value === "string" ? value : "";
  };
  const config: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  for (const field of formFields(kind)) {
    const name = `config.${field.key}`;
    const value = text(name);
    if (field.control === "checkbox") {
      config[field.key] = form.has(name);
      continue;
    }
    if (field.control === "password" && form.has(`clear.${field.key}`)) {
      config[field.key] = null;
      continue;
    }
    if (value.trim() === "") continue;
    if (field.control === "integer" || field.control === "number") {
      const number = Number(value);
      config[field.key] = Number.isFinite(number) ? number : value;
    } else if (field.control === "tristate") {
      config[field.key] = value === "true";
    } else if (field.control === "json") {
      try {
        config[field.key] = JSON.parse(value);
      } catch {
        config[field.key] = value;
        errors.push({ field: name, message: "Enter valid JSON" });
      }
    } else {
      config[field.key] = value;
    }
  }
  return { name: text("name").trim(), config, errors };
}

/** Props of {@linkcode ConnectorForm}. */
export interface ConnectorFormProps {
  kind: ConnectorKindInfo;
  name: string;
  /** Current values: a stored view (secrets as `{ set: true }`) or a re-post. */
  config: Record<string, unknown>;
  errors: FieldError[];
  submitLabel: string;
  /** Extra hidden inputs, e.g. `kind` on the new-connector form. */
  hidden?: Record<string, string>;
}

/** The generated create/edit form; posts to the current page. */
export function ConnectorForm(props: ConnectorFormProps) {
  const fields = formFields(props.kind);
  const known = new Set(["name", ...fields.map((f) => `config.${f.key}`)]);
  const others = props.errors.filter((e) => !known.has(fieldRoot(e.field)));
  return (
    <form method="post" class="form connector-form" id="connector-form">
      {Object.entries(props.hidden ?? {}).map(([name, value]) => (
        <input key={name} type="hidden" name={name} value={value} />
      ))}
      {others.length > 0 && (
        <ul class="error" id="form-errors">
          {others.map((e) => (
            <li key={e.field + e.message}>
              {e.field && `${e.field}: `}
              {e.message}
            </li>
          ))}
        </ul>
      )}
      <label>
        Name <span class="hint">lowercase letters, digits, _ and -</span>
        <input name="name" id="field-name" required value={props.name} />
        <FieldErrors errors={props.errors} name="name" />
      </label>
      {fields.map((field) => (
        <Field
          key={field.key}
          field={field}
          value={props.config[field.key]}
          errors={props.errors}
        />
      ))}
      <button type="submit" id="save-connector">{props.submitLabel}</button>
    </form>
  );
}

// "config.headers.0" belongs to the input "config.headers".
function fieldRoot(path: string): string {
  return path.startsWith("config.")
    ? path.split(".").slice(0, 2).join(".")
    : path;
}

function Field(
  { field, value, errors }: {
    field: FormField;
    value: unknown;
    errors: FieldError[];
  },
) {
  const name = `config.${field.key}`;
  const id = `field-${field.key}`;
  const { schema } = field;
  const shown = value === undefined ? schema.default : value;
  const isSet = typeof value === "object" && value !== null &&
    (value as { set?: unknown }).set === true;
  const invalid = errors.some((e) => fieldRoot(e.field) === name);
  const common = { name, id, "aria-invalid": invalid || undefined };
  let control;
  switch (field.control) {
    case "password":
      control = (
        <input
          {...common}
          type="password"
          autocomplete="new-password"
          placeholder={isSet ? "set — leave empty to keep" : ""}
        />
      );
      break;
    case "select":
      control = (
        <select {...common}>
          {!field.required && schema.default === undefined && (
            <option value="" />
          )}
          {(schema.enum ?? []).map((option) => (
            <option
              key={String(option)}
              value={String(option)}
              selected={String(option) === String(shown)}
            >
              {String(option)}
            </option>
          ))}
        </select>
      );
      break;
    case "checkbox":
      control = <input {...common} type="checkbox" checked={shown === true} />;
      break;
    case "tristate":
      control = (
        <select {...common}>
          <option value="">(not set)</option>
          <option value="true" selected={shown === true}>yes</option>
          <option value="false" selected={shown === false}>no</option>
        </select>
      );
      break;
    case "json":
      control = (
        <textarea {...common} rows={4} class="code">
          {shown === undefined
            ? ""
            : typeof shown === "string"
            ? shown
            : JSON.stringify(shown, null, 2)}
        </textarea>
      );
      break;
    default:
      control = (
        <input
          {...common}
          type={field.control === "text" ? "text" : "number"}
          step={field.control === "number" ? "any" : undefined}
          required={field.required}
          value={shown === undefined ? "" : String(shown)}
        />
      );
  }
  return (
    <div class="field" data-field={name}>
      <label for={id}>
        {field.key}
        {field.required && <span class="required">*</span>}
      </label>
      {control}
      {field.control === "password" && isSet && (
        <label class="inline hint">
          <input type="checkbox" name={`clear.${field.key}`} /> clear it
        </label>
      )}
      {schema.description && <p class="hint">{schema.description}</p>}
      <FieldErrors errors={errors} name={name} />
    </div>
  );
}

function FieldErrors({ errors, name }: { errors: FieldError[]; name: string }) {
  const mine = errors.filter((e) => fieldRoot(e.field) === name);
  if (mine.length === 0) return null;
  return (
    <p class="error field-error" data-error-for={name}>
      {mine.map((e) => e.message).join("; ")}
    </p>
  );
}
