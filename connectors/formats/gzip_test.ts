import assert from "node:assert/strict";
import { gzipStream, maybeGunzip, peekGzip } from "./gzip.ts";

const TEXT = "id,name\n1,Ann\n";

function chunks(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) {
    parts.push(bytes.slice(i, i + size));
  }
  return ReadableStream.from(parts);
}

async function gzipped(text: string): Promise<Uint8Array> {
  const stream = gzipStream(chunks(new TextEncoder().encode(text), 4));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("gzipStream() output starts with the gzip magic bytes and maybeGunzip() restores it", async () => {
  const compressed = await gzipped(TEXT);
  assert.deepEqual([...compressed.subarray(0, 2)], [0x1f, 0x8b]);
  const restored = maybeGunzip(chunks(compressed, 3), true);
  assert.equal(await new Response(restored).text(), TEXT);
  const untouched = maybeGunzip(
    chunks(new TextEncoder().encode(TEXT), 3),
    false,
  );
  assert.equal(await new Response(untouched).text(), TEXT);
});

Deno.test("peekGzip() tells gzip from plain data, even split after one byte", async () => {
  const compressed = await gzipped(TEXT);
  const plain = new TextEncoder().encode(TEXT);
  for (const size of [1, 2, 1024]) {
    const zipped = await peekGzip(chunks(compressed, size));
    assert.equal(zipped.gzip, true, `size ${size}`);
    const text = await new Response(maybeGunzip(zipped.stream, true)).text();
    assert.equal(text, TEXT, `size ${size}`);
    const unzipped = await peekGzip(chunks(plain, size));
    assert.equal(unzipped.gzip, false, `size ${size}`);
    assert.equal(await new Response(unzipped.stream).text(), TEXT);
  }
});

Deno.test("peekGzip() passes on an empty or one-byte stream as plain", async () => {
  const empty = await peekGzip(chunks(new Uint8Array(), 1));
  assert.equal(empty.gzip, false);
  assert.equal(await new Response(empty.stream).text(), "");
  const one = await peekGzip(chunks(new Uint8Array([0x1f]), 1));
  assert.equal(one.gzip, false);
  assert.deepEqual(
    [...new Uint8Array(await new Response(one.stream).arrayBuffer())],
    [0x1f],
  );
});
