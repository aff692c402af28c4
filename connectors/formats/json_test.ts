import assert from "node:assert/strict";
import { DataError, SchemaError } from "../errors.ts";
import { gzipStream } from "./gzip.ts";
import { parseJsonArray } from "./json.ts";

/** `text` as a byte stream cut into chunks of `size` bytes. */
function bytes(text: string | Uint8Array, size = 64 * 1024) {
  const all = typeof text === "string" ? new TextEncoder().encode(text) : text;
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < all.length; i += size) {
    chunks.push(all.slice(i, i + size));
  }
  return ReadableStream.from(chunks);
}

const ARRAY = `[
  {"id": 1, "name": "Ann \\"A\\" {x}", "geo": {"lat": 1.5, "tags": ["[", "]"]}},
  {"id": 2, "name": "Bob\\\\", "geo": null}
]
`;

const NESTED = `{
  "meta": {"count": 2, "skip": [{"id": 99}], "note": "data.items"},
  "data": {"page": 1, "items": [{"id": 1}, {"id": 2.5}], "more": false},
  "after": "not checked"
}`;

Deno.test("parseJsonArray() reads an array of objects with nested values", async () => {
  const batches = await Array.fromAsync(parseJsonArray(bytes(ARRAY)));
  assert.deepEqual(batches, [{
    columns: [
      { name: "id", type: "bigint" },
      { name: "name", type: "text" },
      { name: "geo", type: "json" },
    ],
    rows: [
      [1, 'Ann "A" {x}', { lat: 1.5, tags: ["[", "]"] }],
      [2, "Bob\\", null],
    ],
  }]);
});

Deno.test("parseJsonArray() reads the same records from 1-byte chunks", async () => {
  for (const [text, recordsPath] of [[ARRAY, ""], [NESTED, "data.items"]]) {
    const whole = await Array.fromAsync(
      parseJsonArray(bytes(text), { recordsPath }),
    );
    const split = await Array.fromAsync(
      parseJsonArray(bytes(text, 1), { recordsPath }),
    );
    assert.deepEqual(split, whole);
    assert.equal(split[0].rows.length, 2);
  }
});

Deno.test("parseJsonArray() finds the array at a dotted records path", async () => {
  const [batch] = await Array.fromAsync(
    parseJsonArray(bytes(NESTED), { recordsPath: "data.items" }),
  );
  assert.deepEqual(batch, {
    columns: [{ name: "id", type: "double" }],
    rows: [[1], [2.5]],
  });
});

Deno.test("parseJsonArray() stops reading once the records array closes", async () => {
  let pulled = 0;
  const text = `{"items": [{"a": 1}], "tail": "${"x".repeat(10_000)}"}`;
  const encoded = new TextEncoder().encode(text);
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled * 100 >= encoded.length) return controller.close();
      controller.enqueue(encoded.slice(pulled * 100, ++pulled * 100));
    },
  }, { highWaterMark: 0 });
  const batches = await Array.fromAsync(
    parseJsonArray(source, { recordsPath: "items" }),
  );
  assert.deepEqual(batches[0].rows, [[1]]);
  assert.ok(pulled < 5, `pulled ${pulled} chunks`);
});

Deno.test("parseJsonArray() cuts batches and decompresses gzip", async () => {
  const text = JSON.stringify(Array.from({ length: 5 }, (_, n) => ({ n })));
  const batches = await Array.fromAsync(
    parseJsonArray(gzipStream(bytes(text)), { gzip: true, batchSize: 2 }),
  );
  assert.deepEqual(batches.map((batch) => batch.rows), [
    [[0], [1]],
    [[2], [3]],
    [[4]],
  ]);
});

Deno.test("parseJsonArray() yields nothing for an empty array", async () => {
  assert.deepEqual(await Array.fromAsync(parseJsonArray(bytes(" [ ] "))), []);
});

Deno.test("parseJsonArray() names the line of malformed JSON", async () => {
  const cases: [string, number, RegExp][] = [
    ['[\n{"a": 1},\n{"a": tru}\n]', 3, /^Cannot parse JSON: line 3: /],
    ['[\n{"a": 1,\n "b": "\\x"}]', 3, /line 3: Bad escaped character in JSON$/],
    ['[\n{"a": 1}\n{"a": 2}]', 3, /line 3: unexpected "{"$/],
    ['[\n{"a": [1}\n]', 2, /line 2: unexpected "}"$/],
    ['[{"a": "no end\n}]', 1, /line 1: unterminated string$/],
    ['[{"a": 1},\n', 2, /line 2: unexpected end of input$/],
    ['[{"a": 1}] x', 1, /line 1: unexpected "x"$/],
    ['{"data":\n {"x": tru, "items": []}}', 2, /line 2: unexpected "tru"$/],
    ["", 1, /line 1: unexpected end of input$/],
  ];
  for (const [text, line, message] of cases) {
    for (const size of [1, 1024]) {
      await assert.rejects(
        Array.fromAsync(
          parseJsonArray(bytes(text, size), {
            recordsPath: text.startsWith('{"data"') ? "data.items" : "",
          }),
        ),
        (error) => {
          assert.ok(error instanceof DataError, `${text}: ${error}`);
          assert.equal(error.line, line, text);
          assert.match(error.message, message);
          return true;
        },
      );
    }
  }
});

Deno.test("parseJsonArray() refuses a record that is not an object", async () => {
  await assert.rejects(
    Array.fromAsync(parseJsonArray(bytes('[{"a": 1},\n 42]'))),
    {
      name: "DataError",
      line: 2,
      row: 2,
      message:
        "Cannot parse JSON: line 2: record 2 is a number, expected an object",
    },
  );
});

Deno.test("parseJsonArray() says where the records path leads when the array is not there", async () => {
  const cases: [string, string, string][] = [
    [
      '{"data": []}',
      "",
      'Cannot parse JSON: line 1: expected an array of records, found an object; give the records path of the array inside it, e.g. "data.items"',
    ],
    [
      '{"data": {"items": {"a": 1}}}',
      "data.items",
      'Cannot parse JSON: line 1: "data.items" is an object, expected an array of records',
    ],
    [
      '{"data": "x"}',
      "data.items",
      'Cannot parse JSON: line 1: "data" is a string, expected an object',
    ],
    [
      '{"data": {"other": []}}',
      "data.items",
      'Cannot parse JSON: no array of records at "data.items"',
    ],
  ];
  for (const [text, recordsPath, message] of cases) {
    await assert.rejects(
      Array.fromAsync(parseJsonArray(bytes(text), { recordsPath })),
      (error) => {
        assert.ok(error instanceof SchemaError);
        assert.equal(error.message, message);
        return true;
      },
    );
  }
});

Deno.test("parseJsonArray() refuses a records path with an empty key", async () => {
  await assert.rejects(
    Array.fromAsync(parseJsonArray(bytes("[]"), { recordsPath: "data..x" })),
    TypeError,
  );
});

Deno.test("parseJsonArray() streams a long array from a pulled source in batches", async () => {
  // 200,000 records (~6 MB), produced only as the parser pulls them.
  const count = 200_000;
  const record = new TextEncoder().encode('{"id":1,"name":"abcdefghijk"},\n');
  let sent = 0;
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent === 0) controller.enqueue(new TextEncoder().encode("[\n"));
      if (sent === count) {
        controller.enqueue(new TextEncoder().encode('{"id":2,"name":"z"}]'));
        return controller.close();
      }
      const n = Math.min(32, count - sent);
      const chunk = new Uint8Array(record.length * n);
      for (let i = 0; i < n; i++) chunk.set(record, i * record.length);
      sent += n;
      controller.enqueue(chunk);
    },
  });
  let rows = 0;
  let largest = 0;
  for await (const batch of parseJsonArray(source, { batchSize: 1000 })) {
    rows += batch.rows.length;
    largest = Math.max(largest, batch.rows.length);
  }
  assert.equal(rows, count + 1);
  assert.equal(largest, 1000);
});
