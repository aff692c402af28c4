import assert from "node:assert/strict";
import {
  encodeCopyText,
  encodeCopyValue,
  escapeCopyText,
} from "./copy_text.ts";
import type { Column } from "../types.ts";

const columns = (n: number): Column[] =>
  Array.from({ length: n }, (_, i) => ({ name: `c${i}`, type: "text" }));

Deno.test("escapeCopyText() leaves plain strings untouched", () => {
  const plain = "Ann Smith, 12.50 €";
  assert.equal(escapeCopyText(plain), plain);
  assert.equal(escapeCopyText(""), "");
});

Deno.test("escapeCopyText() escapes backslash, tab, newline and CR", () => {
  assert.equal(escapeCopyText("a\\b"), "a\\\\b");
  assert.equal(escapeCopyText("a\tb"), "a\\tb");
  assert.equal(escapeCopyText("a\nb"), "a\\nb");
  assert.equal(escapeCopyText("a\rb"), "a\\rb");
  assert.equal(escapeCopyText("\\.\r\n\t\\"), "\\\\.\\r\\n\\t\\\\");
});

Deno.test("encodeCopyValue() writes null and undefined as \\N, but the text \\N escaped", () => {
  assert.equal(encodeCopyValue(null), "\\N");
  assert.equal(encodeCopyValue(undefined), "\\N");
  assert.equal(encodeCopyValue("\\N"), "\\\\N");
});

Deno.test("encodeCopyValue() encodes numbers, bigints, booleans and dates", () => {
  assert.equal(encodeCopyValue(42), "42");
  assert.equal(encodeCopyValue(-1.5), "-1.5");
  assert.equal(encodeCopyValue(12345678901234567890n), "12345678901234567890");
  assert.equal(encodeCopyValue(true), "t");
  assert.equal(encodeCopyValue(false), "f");
  assert.equal(
    encodeCopyValue(new Date("2024-03-01T10:20:30.456Z")),
    "2024-03-01T10:20:30.456Z",
  );
});

Deno.test("encodeCopyValue() writes objects and arrays as escaped JSON", () => {
  assert.equal(encodeCopyValue({ a: [1, "x"] }), '{"a":[1,"x"]}');
  assert.equal(encodeCopyValue(["a\tb"]), '["a\\\\tb"]');
  assert.equal(
    encodeCopyValue({ s: "back\\slash" }),
    '{"s":"back\\\\\\\\slash"}',
  );
});

Deno.test("encodeCopyText() joins values with tabs and ends every line with a newline", () => {
  const text = encodeCopyText({
    columns: columns(3),
    rows: [["1", "Ann", null], ["2", "B\tob", "x\ny"]],
  });
  assert.equal(text, "1\tAnn\t\\N\n2\tB\\tob\tx\\ny\n");
});

Deno.test("encodeCopyText() returns an empty string for an empty batch", () => {
  assert.equal(encodeCopyText({ columns: columns(2), rows: [] }), "");
});

Deno.test("encodeCopyText() treats a short row's missing values as null", () => {
  assert.equal(
    encodeCopyText({ columns: columns(3), rows: [["a"]] }),
    "a\t\\N\t\\N\n",
  );
});
