import assert from "node:assert/strict";
import { parseCsv } from "../csv/parse_csv.ts";
import type { Column, RecordBatch } from "../types.ts";
import { writeCsv } from "./csv_writer.ts";

async function* from(...batches: RecordBatch[]) {
  yield* batches;
}

const COLUMNS: Column[] = [
  { name: "id", type: "bigint" },
  { name: "note", type: "text" },
  { name: "at", type: "timestamptz" },
  { name: "meta", type: "json" },
];

Deno.test("writeCsv() quotes only fields that need it", async () => {
  const text = await new Response(writeCsv(from({
    columns: COLUMNS,
    rows: [
      [1, "plain", new Date("2024-01-02T03:04:05Z"), { a: "b,c" }],
      [2, 'say "hi", twice\r\nok', null, null],
      [3n, "", undefined, [1, 2]],
      [true, " spaced ", "x", "y"],
    ],
  }))).text();
  assert.equal(
    text,
    "id,note,at,meta\n" +
      '1,plain,2024-01-02T03:04:05.000Z,"{""a"":""b,c""}"\n' +
      '2,"say ""hi"", twice\r\nok",,\n' +
      '3,"",,"[1,2]"\n' +
      "true, spaced ,x,y\n",
  );
});

Deno.test("writeCsv() writes the header once, from the first batch", async () => {
  const columns = [{ name: "a b", type: "text" as const }];
  const text = await new Response(writeCsv(from(
    { columns, rows: [] },
    { columns, rows: [["1"]] },
    { columns, rows: [["2"]] },
  ))).text();
  assert.equal(text, "a b\n1\n2\n");
  const none = await new Response(writeCsv(from())).text();
  assert.equal(none, "");
});

Deno.test("writeCsv() honours the delimiter, header and line end options", async () => {
  const columns = [{ name: "a", type: "text" as const }, {
    name: "b",
    type: "text" as const,
  }];
  const text = await new Response(writeCsv(
    from({ columns, rows: [["x;y", "z|"]] }),
    { delimiter: ";", header: false, lineEnd: "\r\n" },
  )).text();
  assert.equal(text, '"x;y";z|\r\n');
  assert.throws(() => writeCsv(from(), { delimiter: '"' }), TypeError);
  assert.throws(() => writeCsv(from(), { delimiter: ",," }), TypeError);
});

Deno.test("writeCsv() output parses back to the same values with parseCsv()", async () => {
  const rows = [
    ["1", "multi\nline", null],
    ["2", "", 'quote " inside'],
    ["3", "tab\there", "ünïcödé 😀"],
  ];
  const columns = ["a", "b", "c"].map((name) => ({
    name,
    type: "text" as const,
  }));
  for (const delimiter of [",", "\t", "|"]) {
    const stream = writeCsv(from({ columns, rows }), { delimiter });
    const batches = await Array.fromAsync(parseCsv(stream, { delimiter }));
    assert.deepEqual(batches, [{ columns, rows }], `delimiter ${delimiter}`);
  }
});
