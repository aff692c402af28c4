import assert from "node:assert/strict";
import { decodeCopyText } from "./copy_decode.ts";
import { encodeCopyText } from "../../connectors/postgres/copy_text.ts";
import type { Column } from "../../connectors/types.ts";

const columns: Column[] = [
  { name: "id", type: "bigint" },
  { name: "note", type: "text" },
  { name: "ok", type: "boolean" },
  { name: "score", type: "double" },
  { name: "doc", type: "json" },
  { name: "big", type: "bigint" },
];

Deno.test("decodeCopyText() reverses encodeCopyText() with typed values", () => {
  const rows = [
    [
      1,
      "tab\there\nnew line \\ back",
      true,
      1.5,
      { a: [1, "x"] },
      "12345678901234567890",
    ],
    [2, null, false, null, null, "7"],
    [3, "", null, -2, [], null],
  ];
  const text = encodeCopyText({ columns, rows });
  assert.deepEqual(decodeCopyText(text, columns), [
    [
      1,
      "tab\there\nnew line \\ back",
      true,
      1.5,
      { a: [1, "x"] },
      "12345678901234567890",
    ],
    [2, null, false, null, null, 7],
    [3, "", null, -2, [], null],
  ]);
});

Deno.test("decodeCopyText() reads CSV-style text booleans and keeps text as text", () => {
  const text = "10\t007\ttrue\n11\t\\N\tfalse\n";
  const cols: Column[] = [
    { name: "id", type: "bigint" },
    { name: "zip", type: "text" },
    { name: "flag", type: "boolean" },
  ];
  assert.deepEqual(decodeCopyText(text, cols), [[10, "007", true], [
    11,
    null,
    false,
  ]]);
});
