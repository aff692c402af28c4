import assert from "node:assert/strict";
import { inferColumnTypes } from "./infer_types.ts";

function typeOf(...values: (string | null)[]): string {
  return inferColumnTypes(["c"], values.map((value) => [value]))[0].type;
}

Deno.test("inferColumnTypes() finds bigint for integers that fit int8", () => {
  assert.equal(typeOf("1", "-42", "+7", "0", "9223372036854775807"), "bigint");
  assert.equal(typeOf("-9223372036854775808"), "bigint");
});

Deno.test("inferColumnTypes() falls back to numeric for integers beyond int8", () => {
  assert.equal(typeOf("9223372036854775808"), "numeric");
  assert.equal(typeOf("1", "-9223372036854775809"), "numeric");
});

Deno.test("inferColumnTypes() finds numeric for decimals, also mixed with integers", () => {
  assert.equal(typeOf("1.5", "-0.25", ".5", "3.", "1e5", "2.5E-3"), "numeric");
  assert.equal(typeOf("1", "2.50"), "numeric");
});

Deno.test("inferColumnTypes() keeps numbers with leading zeros as text", () => {
  assert.equal(typeOf("007", "12"), "text");
  assert.equal(typeOf("00.5"), "text");
});

Deno.test("inferColumnTypes() finds boolean for true/false/t/f in any case", () => {
  assert.equal(typeOf("true", "FALSE", "t", "F", "True"), "boolean");
  assert.equal(typeOf("true", "yes"), "text");
  assert.equal(typeOf("1", "0"), "bigint");
});

Deno.test("inferColumnTypes() finds date for valid YYYY-MM-DD", () => {
  assert.equal(typeOf("2024-02-29", "1999-12-31"), "date");
  assert.equal(typeOf("2023-02-29"), "text");
  assert.equal(typeOf("2024-13-01"), "text");
  assert.equal(typeOf("2024-1-01"), "text");
});

Deno.test("inferColumnTypes() finds timestamptz for ISO 8601 with a time", () => {
  assert.equal(
    typeOf(
      "2024-01-01T00:00:37.000Z",
      "2024-01-01 12:30",
      "2024-01-01T12:30:00+02:00",
      "2024-01-01T12:30:00.123456-0500",
      "2024-01-01T23:59:59",
    ),
    "timestamptz",
  );
  assert.equal(typeOf("2024-01-01", "2024-01-02T10:00:00Z"), "timestamptz");
  assert.equal(typeOf("2024-01-01T24:00:00Z"), "text");
  assert.equal(typeOf("2024-01-01T10:00:00 Europe/Paris"), "text");
});

Deno.test("inferColumnTypes() ignores nulls and makes all-null columns text", () => {
  assert.equal(typeOf(null, "5", null), "bigint");
  assert.equal(typeOf(null, null), "text");
  assert.equal(typeOf(), "text");
});

Deno.test("inferColumnTypes() never infers json and treats the empty string as text", () => {
  assert.equal(typeOf('{"a":1}', "[1,2]"), "text");
  assert.equal(typeOf("1", ""), "text");
});

Deno.test("inferColumnTypes() types each column of the benchmark shape", () => {
  const columns = inferColumnTypes(
    ["id", "name", "amount", "created_at", "category", "flag"],
    [
      [
        "1",
        "Customer 1",
        "12.50",
        "2024-01-01T00:00:37.000Z",
        "books",
        "false",
      ],
      ["2", "Customer 2", null, "2024-01-01T00:01:14.000Z", "toys", "true"],
    ],
  );
  assert.deepEqual(columns, [
    { name: "id", type: "bigint" },
    { name: "name", type: "text" },
    { name: "amount", type: "numeric" },
    { name: "created_at", type: "timestamptz" },
    { name: "category", type: "text" },
    { name: "flag", type: "boolean" },
  ]);
});
