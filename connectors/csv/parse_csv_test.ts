import assert from "node:assert/strict";
import { DataError } from "../errors.ts";
import type { RecordBatch } from "../types.ts";
import { type CsvOptions, parseCsv } from "./parse_csv.ts";

const encoder = new TextEncoder();

function bytesOf(input: string | Uint8Array): Uint8Array {
  return typeof input === "string" ? encoder.encode(input) : input;
}

/** A stream that hands out `input` in chunks of `size` bytes (or at `cuts`). */
function streamOf(
  input: string | Uint8Array,
  size: number | number[] = 1 << 16,
): ReadableStream<Uint8Array> {
  const bytes = bytesOf(input);
  const cuts = typeof size === "number"
    ? Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => i * size)
    : [0, ...size];
  let index = 0;
  return new ReadableStream({
    pull(controller) {
      if (index >= cuts.length) return controller.close();
      const end = cuts[index + 1] ?? bytes.length;
      controller.enqueue(bytes.slice(cuts[index], end));
      index++;
    },
  });
}

async function collect(
  input: string | Uint8Array | ReadableStream<Uint8Array>,
  options?: CsvOptions & { chunk?: number | number[] },
): Promise<RecordBatch[]> {
  const source = input instanceof ReadableStream
    ? input
    : streamOf(input, options?.chunk);
  return await Array.fromAsync(parseCsv(source, options));
}

async function rowsOf(
  input: string | Uint8Array,
  options?: CsvOptions & { chunk?: number | number[] },
): Promise<unknown[][]> {
  return (await collect(input, options)).flatMap((batch) => batch.rows);
}

async function dataError(
  input: string | Uint8Array,
  options?: CsvOptions & { chunk?: number | number[] },
): Promise<DataError> {
  try {
    await collect(input, options);
  } catch (error) {
    assert.ok(error instanceof DataError, `expected a DataError: ${error}`);
    return error;
  }
  throw new assert.AssertionError({ message: "expected parseCsv() to fail" });
}

// Every rule at once: BOM, CRLF, quotes, "" escapes, embedded LF and CRLF, a
// lone CR in quotes, null vs "", and multi-byte characters of 2, 3 and 4 bytes.
const TRICKY = '\uFEFFid,name,note\r\n1,"Zoë ""Z"" €","a\nb"\r\n' +
  '2,,""\r\n3,"x\r\ny","lone\rcr"\r\n4,😀 ok,"end,"\r\n';
const TRICKY_ROWS = [
  ["1", 'Zoë "Z" €', "a\nb"],
  ["2", null, ""],
  ["3", "x\r\ny", "lone\rcr"],
  ["4", "😀 ok", "end,"],
];

Deno.test("parseCsv() reads a header and string rows", async () => {
  const batches = await collect("id,name\n1,Ann\n2,Bob\n");
  assert.deepEqual(batches, [{
    columns: [{ name: "id", type: "text" }, { name: "name", type: "text" }],
    rows: [["1", "Ann"], ["2", "Bob"]],
  }]);
});

Deno.test("parseCsv() follows RFC 4180 quoting, CRLF and the BOM", async () => {
  const [batch] = await collect(TRICKY);
  assert.deepEqual(batch.columns.map((column) => column.name), [
    "id",
    "name",
    "note",
  ]);
  assert.deepEqual(batch.rows, TRICKY_ROWS);
});

Deno.test("parseCsv() reads unquoted empty fields as null and quoted ones as empty strings", async () => {
  assert.deepEqual(await rowsOf('a,b,c\n,"",\n"",,""\n'), [
    [null, "", null],
    ["", null, ""],
  ]);
});

Deno.test("parseCsv() gives the same rows whatever the chunk size", async () => {
  for (const chunk of [1, 2, 3, 5, 7, 64]) {
    assert.deepEqual(await rowsOf(TRICKY, { chunk }), TRICKY_ROWS, `${chunk}`);
  }
});

Deno.test('parseCsv() handles chunks split inside a character, a "" escape and a CRLF', async () => {
  const text = 'a,b\r\n"q""uote","€uro"\r\nx,y';
  const bytes = encoder.encode(text);
  const escape = text.indexOf('""') + 1; // between the two quotes
  const euro = bytes.indexOf(0xe2) + 1; // inside the 3 bytes of "€"
  const crlf = bytes.indexOf(13) + 1; // between CR and LF
  const closing = text.indexOf('"\r\nx') + 1; // after a closing quote
  for (const cut of [escape, euro, euro + 1, crlf, closing]) {
    assert.deepEqual(
      await rowsOf(bytes, { chunk: [cut] }),
      [['q"uote', "€uro"], ["x", "y"]],
      `cut at ${cut}`,
    );
  }
});

Deno.test("parseCsv() skips a BOM split over three chunks", async () => {
  const [batch] = await collect("\uFEFFid\n1\n", { chunk: 1 });
  assert.deepEqual(batch.columns, [{ name: "id", type: "text" }]);
});

Deno.test("parseCsv() ignores blank trailing lines and reads a last line without a break", async () => {
  assert.deepEqual(await rowsOf("a,b\n1,2\n\n\r\n"), [["1", "2"]]);
  assert.deepEqual(await rowsOf("a,b\n1,2"), [["1", "2"]]);
  assert.deepEqual(await rowsOf('a,b\n1,"2"'), [["1", "2"]]);
  assert.deepEqual(await rowsOf("a,b\n1,"), [["1", null]]);
});

Deno.test("parseCsv() reads a blank line inside one-column data as null", async () => {
  assert.deepEqual(await rowsOf("a\n1\n\n2\n"), [["1"], [null], ["2"]]);
});

Deno.test("parseCsv() reports a blank line between rows of several columns as ragged", async () => {
  const error = await dataError("a,b\n1,2\n\n3,4\n");
  assert.equal(
    error.message,
    "Cannot parse CSV: line 3 has 1 fields, expected 2 (ragged row)",
  );
  assert.equal(error.line, 3);
});

Deno.test("parseCsv() names columns column_1..n without a header", async () => {
  const [batch] = await collect("1,2,3\n4,5,6\n", { header: false });
  assert.deepEqual(batch.columns.map((column) => column.name), [
    "column_1",
    "column_2",
    "column_3",
  ]);
  assert.deepEqual(batch.rows, [["1", "2", "3"], ["4", "5", "6"]]);
});

Deno.test("parseCsv() uses the columns option instead of the header", async () => {
  const columns = [
    { name: "id", type: "bigint" as const },
    { name: "label", type: "text" as const },
  ];
  const [batch] = await collect("x,y\n1,a\n", { columns });
  assert.deepEqual(batch, { columns, rows: [["1", "a"]] });
  const [plain] = await collect("1,a\n", { columns, header: false });
  assert.deepEqual(plain, { columns, rows: [["1", "a"]] });
  const error = await dataError("x,y,z\n1,a,b\n", { columns });
  assert.equal(
    error.message,
    "Cannot parse CSV: line 1: header has 3 fields, but the columns option lists 2",
  );
});

Deno.test("parseCsv() yields batches of batchSize rows", async () => {
  const batches = await collect("n\n1\n2\n3\n4\n5\n", { batchSize: 2 });
  assert.deepEqual(batches.map((batch) => batch.rows.length), [2, 2, 1]);
  assert.deepEqual(batches.flatMap((batch) => batch.rows), [
    ["1"],
    ["2"],
    ["3"],
    ["4"],
    ["5"],
  ]);
});

Deno.test("parseCsv() yields one empty batch for a header without rows", async () => {
  assert.deepEqual(await collect("id,name\r\n"), [{
    columns: [{ name: "id", type: "text" }, { name: "name", type: "text" }],
    rows: [],
  }]);
});

Deno.test("parseCsv() yields nothing for an empty file without a header", async () => {
  assert.deepEqual(await collect("", { header: false }), []);
});

Deno.test("parseCsv() honours another delimiter and quote", async () => {
  assert.deepEqual(
    await rowsOf("a\tb\n'x\ty'\t'it''s'\n", { delimiter: "\t", quote: "'" }),
    [["x\ty", "it's"]],
  );
  assert.deepEqual(await rowsOf('a;b\n"1";2,5\n', { delimiter: ";" }), [[
    "1",
    "2,5",
  ]]);
});

Deno.test("parseCsv() keeps a quote inside an unquoted field as data", async () => {
  assert.deepEqual(await rowsOf('a,b\n5" disk,x\n'), [['5" disk', "x"]]);
});

Deno.test("parseCsv() reads a field far larger than a chunk", async () => {
  const big = "x".repeat(200_000) + "\n" + '""'.repeat(1000);
  const text = `a,b\n1,"${big.replaceAll('"', '""')}"\n2,z\n`;
  assert.deepEqual(await rowsOf(text, { chunk: 1000 }), [["1", big], [
    "2",
    "z",
  ]]);
});

Deno.test("parseCsv() yields batches before the source ends", async () => {
  let pulled = 0;
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulled++;
      if (pulled === 1) controller.enqueue(encoder.encode("n\n"));
      else if (pulled < 1000) controller.enqueue(encoder.encode("1\n2\n"));
      else controller.close();
    },
  });
  for await (const batch of parseCsv(source, { batchSize: 10 })) {
    assert.equal(batch.rows.length, 10);
    break;
  }
  assert.ok(pulled < 20, `pulled ${pulled} chunks for the first batch`);
});

Deno.test("parseCsv() reports the line of a ragged row after a multi-line field", async () => {
  const text = 'id,note\n1,"two\nmore\nlines"\n2,ok\n3,too,many\n';
  for (const chunk of [1, 3, 1 << 16]) {
    const error = await dataError(text, { chunk });
    assert.equal(
      error.message,
      "Cannot parse CSV: line 6 has 3 fields, expected 2 (ragged row)",
    );
    assert.equal(error.line, 6);
    assert.equal(error.row, 3);
  }
});

Deno.test("parseCsv() reports the start line of a ragged multi-line record", async () => {
  const error = await dataError('a,b\n1,2\n3,"x\ny",4\n');
  assert.equal(
    error.message,
    "Cannot parse CSV: line 3 has 3 fields, expected 2 (ragged row)",
  );
  assert.equal(error.line, 3);
  assert.equal(error.row, 2);
});

Deno.test("parseCsv() reports an unterminated quoted field with its starting line", async () => {
  const error = await dataError('a,b\r\n1,"x\r\n2\r\n3,4\r\n');
  assert.equal(
    error.message,
    "Cannot parse CSV: line 2: unterminated quoted field starting at line 2",
  );
  assert.equal(error.line, 2);
  assert.equal(error.row, 1);
  const later = await dataError('a,b\n1,2\n3,"ok\nstill"\n"4,5\n');
  assert.equal(
    later.message,
    "Cannot parse CSV: line 5: unterminated quoted field starting at line 5",
  );
});

Deno.test("parseCsv() reports a character after a closing quote on its own line", async () => {
  const error = await dataError('a,b\n1,2\n3,"multi\nline"x\n');
  assert.equal(
    error.message,
    'Cannot parse CSV: line 4: unexpected character "x" after closing quote',
  );
  assert.equal(error.line, 4);
  assert.equal(error.row, 2);
  const space = await dataError('a,b\n"1" ,2\n', { chunk: 1 });
  assert.equal(
    space.message,
    'Cannot parse CSV: line 2: unexpected character " " after closing quote',
  );
});

Deno.test("parseCsv() reports the line of an invalid utf-8 byte", async () => {
  const bytes = new Uint8Array([
    ...encoder.encode('a,b\n1,"é\nx"\n2,ok\n3,'),
    0xff,
    ...encoder.encode("\n4,z\n"),
  ]);
  for (const chunk of [1, 3, 1 << 16]) {
    const error = await dataError(bytes, { chunk });
    assert.equal(
      error.message,
      "Cannot parse CSV: line 5: invalid utf-8 byte sequence",
      `chunk ${chunk}`,
    );
    assert.equal(error.line, 5);
    assert.equal(error.row, 3);
  }
});

Deno.test("parseCsv() reports a truncated utf-8 character at the end", async () => {
  const bytes = new Uint8Array([...encoder.encode("a\n1\n"), 0xe2, 0x82]);
  const error = await dataError(bytes, { chunk: 1 });
  assert.equal(
    error.message,
    "Cannot parse CSV: line 3: invalid utf-8 byte sequence",
  );
});

Deno.test("parseCsv() reports a ragged row before a later invalid byte", async () => {
  const bytes = new Uint8Array([...encoder.encode("a,b\n1\n2,"), 0xc3, 0x28]);
  const error = await dataError(bytes);
  assert.equal(
    error.message,
    "Cannot parse CSV: line 2 has 1 fields, expected 2 (ragged row)",
  );
});

Deno.test("parseCsv() decodes latin1 and windows-1252", async () => {
  const bytes = new Uint8Array([
    ...encoder.encode("name,price\n"),
    0x43,
    0x61,
    0x66,
    0xe9, // é
    0x2c,
    0x80, // € in windows-1252, which "latin1" means in WHATWG
    0x0a,
  ]);
  assert.deepEqual(await rowsOf(bytes, { encoding: "latin1", chunk: 1 }), [[
    "Café",
    "€",
  ]]);
});

Deno.test("parseCsv() decodes utf-16le and reports an unpaired surrogate", async () => {
  const text = "\uFEFFa,b\n1,😀\n";
  const bytes = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    bytes[2 * i] = text.charCodeAt(i) & 0xff;
    bytes[2 * i + 1] = text.charCodeAt(i) >> 8;
  }
  for (const chunk of [1, 3, 64]) {
    assert.deepEqual(
      await rowsOf(bytes, { encoding: "utf-16le", chunk }),
      [["1", "😀"]],
    );
  }
  // Line 3 holds a lone low surrogate.
  const bad = new Uint8Array([...bytes, 0x00, 0xdc, 0x0a, 0x00]);
  const error = await dataError(bad, { encoding: "utf-16le", chunk: 3 });
  assert.equal(
    error.message,
    "Cannot parse CSV: line 3: invalid utf-16le byte sequence",
  );
});

Deno.test("parseCsv() decompresses gzip from a real file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/data.csv.gz`;
    const lines = ["id,name"];
    for (let i = 0; i < 25_000; i++) lines.push(`${i},"name ${i}"`);
    await Deno.writeFile(
      path,
      ReadableStream.from([encoder.encode(lines.join("\r\n"))])
        .pipeThrough(new CompressionStream("gzip")),
    );
    const file = await Deno.open(path);
    const batches = await collect(file.readable, { gzip: true });
    assert.deepEqual(batches.map((batch) => batch.rows.length), [
      10_000,
      10_000,
      5_000,
    ]);
    assert.deepEqual(batches[2].rows.at(-1), ["24999", "name 24999"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseCsv() reports data that is not gzip", async () => {
  const error = await dataError("id\n1\n", { gzip: true });
  assert.equal(error.message, "Cannot parse CSV: invalid gzip data");
});

Deno.test("parseCsv() reports a duplicate header name", async () => {
  const error = await dataError("id,name,id\n1,2,3\n");
  assert.equal(
    error.message,
    'Cannot parse CSV: line 1: duplicate header name "id" in columns 1 and 3',
  );
  assert.equal(error.line, 1);
});

Deno.test("parseCsv() reports an empty header name", async () => {
  for (const header of ["id,,name", 'id,"",name', "id, ,name"]) {
    const error = await dataError(`${header}\n1,2,3\n`);
    assert.equal(
      error.message,
      "Cannot parse CSV: line 1: header column 2 has an empty name",
    );
  }
});

Deno.test("parseCsv() reports an empty file when a header is expected", async () => {
  for (const text of ["", "\uFEFF", "\n\n"]) {
    const error = await dataError(text);
    assert.equal(
      error.message,
      "Cannot parse CSV: the file is empty, expected a header line",
    );
    assert.equal(error.line, 1);
  }
});

Deno.test("parseCsv() stops with the reason of an aborted signal", async () => {
  const reason = new Error("stop");
  await assert.rejects(
    Array.fromAsync(
      parseCsv(streamOf("a\n1\n"), { signal: AbortSignal.abort(reason) }),
    ),
    (error) => error === reason,
  );
});

Deno.test("parseCsv() cancels the source when aborted mid-stream", async () => {
  const controller = new AbortController();
  const reason = new Error("stop");
  let cancelled = false;
  const source = new ReadableStream<Uint8Array>({
    pull(stream) {
      stream.enqueue(encoder.encode("n\n1\n"));
    },
    cancel() {
      cancelled = true;
    },
  });
  let batches = 0;
  await assert.rejects(
    async () => {
      const options = { batchSize: 1, signal: controller.signal };
      for await (const _ of parseCsv(source, options)) {
        batches++;
        controller.abort(reason);
      }
    },
    (error) => error === reason,
  );
  assert.equal(batches, 1);
  assert.ok(cancelled, "the source was cancelled");
});

Deno.test("parseCsv() refuses invalid options", async () => {
  await assert.rejects(
    Array.fromAsync(parseCsv(streamOf("a"), { delimiter: ";;" })),
    {
      name: "TypeError",
      message:
        'Cannot parse CSV: delimiter must be one character other than CR or LF, received ";;"',
    },
  );
  await assert.rejects(
    Array.fromAsync(parseCsv(streamOf("a"), { quote: "," })),
    TypeError,
  );
  await assert.rejects(
    Array.fromAsync(parseCsv(streamOf("a"), { encoding: "klingon" })),
    {
      name: "RangeError",
      message: 'Cannot parse CSV: unknown encoding "klingon"',
    },
  );
  await assert.rejects(
    Array.fromAsync(parseCsv(streamOf("a"), { batchSize: 0 })),
    RangeError,
  );
});
