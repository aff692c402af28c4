import assert from "node:assert/strict";
import {
  findTemplates,
  quotedTemplates,
  renderConfig,
  renderQuery,
  renderText,
  type TemplateContext,
  TemplateError,
  templateProblems,
} from "./template.ts";

const context: TemplateContext = {
  params: { day: "2026-01-02", min_id: 2, flag: true, none: null },
  run: {
    id: 42,
    pipeline: "daily",
    scheduled_date: "2026-01-03",
    scheduled_time: "2026-01-03T02:00:00.000Z",
  },
};

Deno.test("findTemplates() finds each template and an unclosed one", () => {
  assert.deepEqual(findTemplates("a {{params.x}} b {{ run.id }} c {{ oops"), [
    { start: 2, end: 14, expression: "params.x" },
    { start: 17, end: 29, expression: "run.id" },
    { start: 32, end: -1, expression: " oops" },
  ]);
});

Deno.test("templateProblems() names unknown parameters and variables", () => {
  assert.deepEqual(
    templateProblems("{{ params.day }} {{ run.id }}", ["day"]),
    [],
  );
  assert.deepEqual(templateProblems("x = {{ params.x }}", ["day"]), [
    'unknown parameter "x" in {{ params.x }}',
  ]);
  assert.deepEqual(templateProblems("{{ env.HOME }}", []), [
    'unknown template variable "env.HOME" in {{ env.HOME }}: use params.<name>, run.id, run.scheduled_date, run.scheduled_time or run.pipeline',
  ]);
  assert.deepEqual(templateProblems("{{ run.nope }}", []), [
    'unknown template variable "run.nope" in {{ run.nope }}: use params.<name>, run.id, run.scheduled_date, run.scheduled_time or run.pipeline',
  ]);
  assert.deepEqual(templateProblems("{{ params.a-b }}", ["a"]), [
    'unknown parameter "a-b" in {{ params.a-b }}',
  ]);
  assert.deepEqual(templateProblems("{{ }} and {{ params.day", ["day"]), [
    'empty template "{{ }}"',
    '"{{" has no closing "}}"',
  ]);
});

Deno.test("renderText() and renderConfig() substitute values as text", () => {
  assert.equal(
    renderText("exports/{{ run.scheduled_date }}/{{run.id}}.csv", context),
    "exports/2026-01-03/42.csv",
  );
  assert.equal(renderText("[{{ params.none }}]", context), "[]");
  assert.deepEqual(
    renderConfig({
      path: "in/{{ params.day }}.csv",
      keys: ["id_{{ params.min_id }}"],
      nested: { flag: "{{ params.flag }}", n: 5, b: false },
    }, context),
    {
      path: "in/2026-01-02.csv",
      keys: ["id_2"],
      nested: { flag: "true", n: 5, b: false },
    },
  );
  assert.throws(
    () => renderText("{{ params.missing }}", context),
    new TemplateError(
      'Cannot render {{ params.missing }}: unknown parameter "missing"',
    ),
  );
});

Deno.test("renderQuery() binds values as placeholders, never in the text", () => {
  const sql =
    "select * from events where day = {{ params.day }} and id >= {{ params.min_id }} and run = {{ run.id }}";
  assert.deepEqual(renderQuery(sql, context, "postgres"), {
    text: "select * from events where day = $1 and id >= $2 and run = $3",
    values: ["2026-01-02", 2, 42],
  });
  assert.deepEqual(renderQuery(sql, context, "mysql"), {
    text: "select * from events where day = ? and id >= ? and run = ?",
    values: ["2026-01-02", 2, 42],
  });
  const evil = {
    ...context,
    params: { ...context.params, day: "'; drop table events; --" },
  };
  const bound = renderQuery("select {{ params.day }}::text", evil, "postgres");
  assert.equal(bound.text, "select $1::text");
  assert.deepEqual(bound.values, ["'; drop table events; --"]);
});

Deno.test("renderQuery() refuses a template inside quotes", () => {
  for (const dialect of ["postgres", "mysql"] as const) {
    assert.throws(
      () =>
        renderQuery(
          "select * from t where day = '{{ params.day }}'",
          context,
          dialect,
        ),
      new TemplateError(
        "Cannot bind {{ params.day }} inside quotes: write it without quotes (e.g. day = {{ params.day }}); its value is sent as a bound parameter",
      ),
    );
  }
  // "…" is an identifier in PostgreSQL, a string in MySQL: neither binds.
  assert.throws(
    () => renderQuery('select "{{ params.day }}"', context, "postgres"),
    TemplateError,
  );
  assert.throws(
    () => renderQuery("select $q$ {{ params.day }} $q$", context, "postgres"),
    TemplateError,
  );
  assert.throws(
    () => renderQuery("select E'it\\'s {{ params.day }}'", context, "postgres"),
    TemplateError,
  );
});

Deno.test("renderQuery() leaves templates in comments and reads quotes per dialect", () => {
  assert.deepEqual(
    renderQuery(
      "select 1 -- and day = {{ params.day }}\n/* {{ run.id }} */ where x = {{ params.min_id }}",
      context,
      "postgres",
    ),
    {
      text:
        "select 1 -- and day = {{ params.day }}\n/* {{ run.id }} */ where x = $1",
      values: [2],
    },
  );
  assert.deepEqual(
    renderQuery(
      "select 1 # {{ params.day }}\nwhere x = {{ params.min_id }}",
      context,
      "mysql",
    ),
    { text: "select 1 # {{ params.day }}\nwhere x = ?", values: [2] },
  );
  // A backslash ends nothing in a standard PostgreSQL string, but escapes
  // the quote in MySQL.
  const sql = "select 'a\\' , {{ params.day }} , 'b'";
  assert.deepEqual(renderQuery(sql, context, "postgres").values, [
    "2026-01-02",
  ]);
  assert.deepEqual(quotedTemplates(sql, "mysql"), ["params.day"]);
  assert.deepEqual(
    quotedTemplates("select 'it''s', {{ params.day }}", "postgres"),
    [],
  );
  assert.deepEqual(quotedTemplates("select `{{ params.day }}`", "mysql"), [
    "params.day",
  ]);
});
