import assert from "node:assert/strict";
import {
  invalidUtf8Offset,
  jsonSyntaxError,
  textPosition,
} from "./json_syntax.ts";

Deno.test("jsonSyntaxError() accepts JSON and names the first problem", () => {
  for (const text of ['{"a": [1, -2.5e3, true, null, "\\u00e9\\n"]}', " 0 "]) {
    assert.equal(jsonSyntaxError(text), null, text);
  }
  const cases: [string, number, string][] = [
    ["", 0, "expected a JSON value, found end of text"],
    ["[1, 2,]", 6, 'trailing comma before "]"'],
    ['{"a" 1}', 5, 'expected ":", found "1"'],
    ['"abc', 4, "unterminated string"],
    ['"a\\x"', 2, 'invalid escape "\\x"'],
    ["[1] 2", 4, 'unexpected "2" after the JSON value'],
    ["[01]", 2, 'expected "," or "]", found "1"'],
    ["{'a': 1}", 1, 'expected a double-quoted property name, found "\'"'],
  ];
  for (const [text, offset, message] of cases) {
    assert.deepEqual(jsonSyntaxError(text), { offset, message }, text);
  }
});

Deno.test("textPosition() counts lines and columns from 1", () => {
  assert.deepEqual(textPosition("ab\ncd", 0), { line: 1, column: 1 });
  assert.deepEqual(textPosition("ab\ncd", 4), { line: 2, column: 2 });
});

Deno.test("invalidUtf8Offset() finds the first bad byte", () => {
  const ok = new TextEncoder().encode("héllo");
  assert.equal(invalidUtf8Offset(ok), -1);
  const bad = new Uint8Array([0x61, 0x62, 0xff, 0x63]);
  assert.equal(invalidUtf8Offset(bad), 2);
  const truncated = new Uint8Array([0x61, 0xc3]);
  assert.equal(invalidUtf8Offset(truncated), 1);
});
