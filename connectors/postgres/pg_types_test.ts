import assert from "node:assert/strict";
import {
  bigintValue,
  columnTypeFromPg,
  pgTypeOf,
  selectExpression,
} from "./pg_types.ts";

Deno.test("pgTypeOf() maps every platform type to a PostgreSQL type", () => {
  assert.deepEqual(
    ([
      "text",
      "bigint",
      "double",
      "numeric",
      "boolean",
      "date",
      "timestamptz",
      "json",
    ] as const)
      .map(pgTypeOf),
    [
      "text",
      "bigint",
      "double precision",
      "numeric",
      "boolean",
      "date",
      "timestamptz",
      "jsonb",
    ],
  );
});

Deno.test("columnTypeFromPg() reads format_type and information_schema spellings", () => {
  assert.equal(columnTypeFromPg("integer"), "bigint");
  assert.equal(columnTypeFromPg("numeric(10,2)"), "numeric");
  assert.equal(columnTypeFromPg("character varying(20)"), "text");
  assert.equal(
    columnTypeFromPg("timestamp(3) without time zone"),
    "timestamptz",
  );
  assert.equal(columnTypeFromPg("timestamp with time zone"), "timestamptz");
  assert.equal(columnTypeFromPg("real"), "double");
  assert.equal(columnTypeFromPg("jsonb"), "json");
  assert.equal(columnTypeFromPg("integer[]"), "json");
  assert.equal(columnTypeFromPg("ARRAY"), "json");
  assert.equal(columnTypeFromPg("uuid"), "text");
  assert.equal(columnTypeFromPg("USER-DEFINED"), "text");
});

Deno.test("selectExpression() reads bigint and date as text and naive timestamps as UTC", () => {
  assert.equal(selectExpression("id", "bigint"), '"id"::text');
  assert.equal(selectExpression("d", "date"), '"d"::text');
  assert.equal(
    selectExpression("t", "timestamp without time zone"),
    `"t" at time zone 'UTC'`,
  );
  assert.equal(selectExpression('we"ird', "text"), '"we""ird"');
});

Deno.test("bigintValue() keeps exact numbers and strings beyond 2^53", () => {
  assert.equal(bigintValue("42"), 42);
  assert.equal(bigintValue("-9007199254740991"), -9007199254740991);
  assert.equal(bigintValue("9007199254740993"), "9007199254740993");
  assert.equal(bigintValue(null), null);
});
