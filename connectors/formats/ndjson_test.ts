import assert from "node:assert/strict";
import { DataError } from "../errors.ts";
import type { RecordBatch } from "../types.ts";
import { gzipStream } from "./gzip.ts";
import { parseNdjson, writeNdjson } from "./ndjson.ts";

/** `text` as a byte stream cut into chunks of `size` bytes. */
function bytes(text: string | Uint8Array, size = 64 * 1024) {
  const all = typeof text === "string" ? new TextEncoder().encode(text) : text;
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < all.length; i += size) {
    chunks.push(all.slice(i, i + size));
  }
  return ReadableStream.from(chunks);
}

const ORDERS = '{"id":1,"name":"Ann","amount":12.5,"paid":true}\n' +
  "\n" +
  '{"id":2,"name":"Bob","amount":7,"tags":["a"]}\r\n' +
  '{"id":3,"name":"Cy","amount":null,"paid":false}';

Deno.test("parseNdjson() types columns from the first batch and skips blank lines", async () => {
  const batches = await Array.fromAsync(parseNdjson(bytes(ORDERS)));
  assert.deepEqual(batches, [{
    columns: [
      { name: "id", type: "bigint" },
      { name: "name", type: "text" },
      { name: "amount", type: "double" },
      { name: "paid", type: "boolean" },
      { name: "tags", type: "json" },
    ],
    rows: [
      [1, "Ann", 12.5, true, null],
      [2, "Bob", 7, null, ["a"]],
      [3, "Cy", null, false, null],
    ],
  }]);
});

Deno.test("parseNdjson() reads the same records from 1-byte chunks", async () => {
  const text = '{"city":"Zürich","note":"a\\nb 😀"}\n{"city":"Köln"}\n';
  const whole = await Array.fromAsync(parseNdjson(bytes(text)));
  const split = await Array.fromAsync(parseNdjson(bytes(text, 1)));
  assert.deepEqual(split, whole);
  assert.deepEqual(split[0].rows, [["Zürich", "a\nb 😀"], ["Köln", null]]);
});

Deno.test("parseNdjson() cuts batches of batchSize records", async () => {
  const text = Array.from({ length: 5 }, (_, i) => `{"n":${i}}`).join("\n");
  const batches = await Array.fromAsync(
    parseNdjson(bytes(text), { batchSize: 2 }),
  );
  assert.deepEqual(batches.map((batch) => batch.rows.length), [2, 2, 1]);
  assert.deepEqual(batches[2].rows, [[4]]);
});

Deno.test("parseNdjson() decompresses gzip", async () => {
  const batches = await Array.fromAsync(
    parseNdjson(gzipStream(bytes(ORDERS)), { gzip: true }),
  );
  assert.equal(batches[0].rows.length, 3);
  await assert.rejects(
    Array.fromAsync(parseNdjson(bytes("not gzip at all"), { gzip: true })),
    { name: "DataError", message: "Cannot parse NDJSON: invalid gzip data" },
  );
});

Deno.test("parseNdjson() names the line of malformed JSON", async () => {
  const text = '{"a":1}\n{"a":2}\n\n{"a":3}\n{"a":4}\n{"a":5}\n{"a": tru}\n';
  await assert.rejects(
    Array.fromAsync(parseNdjson(bytes(text, 3))),
    (error) => {
      assert.ok(error instanceof DataError);
      assert.equal(error.line, 7);
      assert.match(error.message, /^Cannot parse NDJSON: line 7: Unexpected/);
      return true;
    },
  );
});

Deno.test("parseNdjson() refuses a line that is not an object", async () => {
  for (
    const [line, found] of [["[1,2]", "an array"], ["null", "null"], [
      '"x"',
      "a string",
    ]]
  ) {
    await assert.rejects(
      Array.fromAsync(parseNdjson(bytes(`{"a":1}\n${line}\n`))),
      {
        name: "DataError",
        line: 2,
        message:
          `Cannot parse NDJSON: line 2: expected a JSON object, found ${found}`,
      },
    );
  }
});

Deno.test("parseNdjson() refuses a field that the first batch did not have", async () => {
  const text = '{"a":1}\n{"a":2}\n{"a":3,"b":4}\n';
  await assert.rejects(
    Array.fromAsync(parseNdjson(bytes(text), { batchSize: 2 })),
    {
      name: "DataError",
      line: 3,
      row: 3,
      column: "b",
      message:
        'Cannot parse NDJSON: line 3: field "b" is not among the columns (a) found in the first batch',
    },
  );
});

Deno.test("parseNdjson() names the line of an invalid UTF-8 byte", async () => {
  const head = new TextEncoder().encode('{"a":"x"}\n{"a":"y"}\n{"a":"');
  const data = new Uint8Array([...head, 0xff, 0x22, 0x7d, 0x0a]);
  await assert.rejects(Array.fromAsync(parseNdjson(bytes(data, 1))), {
    name: "DataError",
    line: 3,
    message: "Cannot parse NDJSON: line 3: invalid UTF-8 byte sequence",
  });
});

Deno.test("parseNdjson() stops with the signal's reason when aborted", async () => {
  const controller = new AbortController();
  const text = Array.from({ length: 100 }, (_, i) => `{"n":${i}}`).join("\n");
  const batches = parseNdjson(bytes(text, 10), {
    batchSize: 1,
    signal: controller.signal,
  });
  const first = await batches.next();
  assert.deepEqual(first.value?.rows, [[0]]);
  controller.abort(new Error("stopped by test"));
  await assert.rejects(Array.fromAsync(batches), {
    message: "stopped by test",
  });
});

Deno.test("parseNdjson() yields nothing for an empty file", async () => {
  assert.deepEqual(await Array.fromAsync(parseNdjson(bytes("\n\n"))), []);
});

async function* from(...batches: RecordBatch[]) {
  yield* batches;
}

Deno.test("writeNdjson() writes one object per row that parseNdjson() reads back", async () => {
  const columns = [
    { name: "id", type: "bigint" as const },
    { name: "at", type: "timestamptz" as const },
    { name: "meta", type: "json" as const },
    { name: "note", type: "text" as const },
  ];
  const at = new Date("2024-05-01T10:00:00Z");
  const stream = writeNdjson(from(
    { columns, rows: [[1, at, { k: [1] }, 'say "hi"\n']] },
    {
      columns,
      rows: [[2, null, null, undefined], [9007199254740993n, at, [], ""]],
    },
  ));
  const text = await new Response(stream).text();
  assert.equal(
    text.split("\n")[0],
    '{"id":1,"at":"2024-05-01T10:00:00.000Z","meta":{"k":[1]},"note":"say \\"hi\\"\\n"}',
  );
  assert.match(text, /"id":9007199254740993,/);
  const [batch] = await Array.fromAsync(parseNdjson(bytes(text)));
  assert.deepEqual(batch.rows, [
    [1, "2024-05-01T10:00:00.000Z", { k: [1] }, 'say "hi"\n'],
    [2, null, null, null],
    [9007199254740992, "2024-05-01T10:00:00.000Z", [], ""],
  ]);
});
