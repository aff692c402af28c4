import assert from "node:assert/strict";
import {
  isIsoDate,
  type ParamDeclaration,
  paramsFromForm,
  resolveRunParams,
} from "./params.ts";

const declared: Record<string, ParamDeclaration> = {
  day: { type: "date" },
  min_id: { type: "number", default: 2 },
  region: { type: "enum", values: ["eu", "us"], default: "eu" },
  full: { type: "boolean", default: false },
  note: { type: "string", required: false },
};

Deno.test("resolveRunParams() fills defaults and keeps given values", () => {
  assert.deepEqual(resolveRunParams(declared, { day: "2026-01-02" }), {
    ok: true,
    values: {
      day: "2026-01-02",
      min_id: 2,
      region: "eu",
      full: false,
      note: null,
    },
  });
  assert.deepEqual(
    resolveRunParams(declared, {
      day: "2026-01-02",
      min_id: 7.5,
      region: "us",
      full: true,
      note: "hi",
    }),
    {
      ok: true,
      values: {
        day: "2026-01-02",
        min_id: 7.5,
        region: "us",
        full: true,
        note: "hi",
      },
    },
  );
  assert.deepEqual(resolveRunParams(undefined, undefined), {
    ok: true,
    values: {},
  });
});

Deno.test("resolveRunParams() lists every problem with its field", () => {
  assert.deepEqual(
    resolveRunParams(declared, {
      min_id: "2",
      region: "asia",
      full: "yes",
      note: 5,
      colour: "red",
    }),
    {
      ok: false,
      errors: [
        {
          field: "params.colour",
          message:
            'unknown parameter "colour"; declared: day, min_id, region, full, note',
        },
        { field: "params.day", message: 'required parameter "day" is missing' },
        { field: "params.min_id", message: "must be a number" },
        { field: "params.region", message: "must be one of: eu, us" },
        { field: "params.full", message: "must be true or false" },
        { field: "params.note", message: "must be a string" },
      ],
    },
  );
  assert.deepEqual(resolveRunParams(declared, { day: "2026-02-30" }), {
    ok: false,
    errors: [{ field: "params.day", message: "must be a date (YYYY-MM-DD)" }],
  });
  assert.deepEqual(resolveRunParams(undefined, { x: 1 }), {
    ok: false,
    errors: [{
      field: "params.x",
      message: 'unknown parameter "x": the pipeline declares none',
    }],
  });
  assert.deepEqual(resolveRunParams(declared, [1]), {
    ok: false,
    errors: [{ field: "params", message: "must be an object" }],
  });
});

Deno.test("resolveRunParams() resolves a {{ run.scheduled_date }} default only when given the date", () => {
  const withDate = {
    day: { type: "date", default: "{{ run.scheduled_date }}" },
  } as const;
  assert.deepEqual(resolveRunParams(withDate, {}), { ok: true, values: {} });
  assert.deepEqual(
    resolveRunParams(withDate, {}, { scheduledDate: "2026-03-04" }),
    { ok: true, values: { day: "2026-03-04" } },
  );
  assert.deepEqual(
    resolveRunParams(withDate, { day: "2026-01-01" }, {
      scheduledDate: "2026-03-04",
    }),
    { ok: true, values: { day: "2026-01-01" } },
  );
});

Deno.test("paramsFromForm() types the run form's inputs", () => {
  const form = new FormData();
  form.set("params.day", "2026-01-02");
  form.set("params.min_id", " 12 ");
  form.set("params.region", "");
  form.set("params.full", "on");
  form.set("params.extra", "x");
  form.set("_csrf", "t");
  assert.deepEqual(paramsFromForm(declared, form), {
    day: "2026-01-02",
    min_id: 12,
    extra: "x",
    full: true,
  });
  const bad = new FormData();
  bad.set("params.min_id", "twelve");
  assert.deepEqual(paramsFromForm(declared, bad), {
    min_id: "twelve",
    full: false,
  });
});

Deno.test("isIsoDate() accepts only real calendar dates", () => {
  assert.equal(isIsoDate("2024-02-29"), true);
  assert.equal(isIsoDate("2026-02-29"), false);
  assert.equal(isIsoDate("2026-1-02"), false);
  assert.equal(isIsoDate("2026-01-02T00:00:00Z"), false);
});
