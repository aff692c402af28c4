// Staged step outputs. Each step writes its records as NDJSON chunk files
// (one line a batch: a JSON array of rows) so that the next step can run on
// another worker and stream them back. Memory stays bounded by batch size.

import type { Column, RecordBatch } from "../../connectors/types.ts";

// A new chunk file after this many bytes keeps single files manageable.
const CHUNK_BYTES = 64 * 1024 * 1024;

/** Where a staged dataset lives and what it holds. */
export interface StagedDataset {
  /** Directory of the chunk files. */
  uri: string;
  columns: Column[];
  rowCount: number;
  byteCount: number;
}

/** Options for {@linkcode stageDataset}. */
export interface StageOptions {
  /** Called after each batch is written, for progress reporting. */
  onProgress?: (rowCount: number) => void;
  signal?: AbortSignal;
}

/**
 * Writes `batches` under `dir` (created; emptied first, so a re-delivered job
 * starts over instead of appending twice).
 */
export async function stageDataset(
  dir: string,
  batches: AsyncIterable<RecordBatch>,
  options: StageOptions = {},
): Promise<StagedDataset> {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  const encoder = new TextEncoder();
  let columns: Column[] | undefined;
  let rowCount = 0;
  let byteCount = 0;
  let chunkIndex = 0;
  let chunkBytes = 0;
  let file: Deno.FsFile | undefined;
  try {
    for await (const batch of batches) {
      options.signal?.throwIfAborted();
      columns ??= batch.columns;
      if (batch.rows.length === 0) continue;
      if (!file || chunkBytes >= CHUNK_BYTES) {
        file?.close();
        file = await Deno.open(chunkPath(dir, chunkIndex++), {
          write: true,
          create: true,
          truncate: true,
        });
        chunkBytes = 0;
      }
      const bytes = encoder.encode(JSON.stringify(batch.rows) + "\n");
      await writeAll(file, bytes);
      chunkBytes += bytes.length;
      byteCount += bytes.length;
      rowCount += batch.rows.length;
      options.onProgress?.(rowCount);
    }
  } finally {
    file?.close();
  }
  const staged = { uri: dir, columns: columns ?? [], rowCount, byteCount };
  await Deno.writeTextFile(`${dir}/dataset.json`, JSON.stringify(staged));
  return staged;
}

/** Streams a staged dataset back as record batches, chunk by chunk. */
export async function* readDataset(
  dataset: Pick<StagedDataset, "uri" | "columns">,
): AsyncGenerator<RecordBatch> {
  const { columns } = dataset;
  let yielded = false;
  for (let index = 0;; index++) {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(chunkPath(dataset.uri, index));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) break;
      throw error;
    }
    for await (const line of readLines(file.readable)) {
      if (line.length === 0) continue;
      yielded = true;
      yield { columns, rows: JSON.parse(line) };
    }
  }
  // Downstream steps still learn the columns of an empty dataset.
  if (!yielded) yield { columns, rows: [] };
}

/** Removes a staged dataset's files. */
export async function dropDataset(uri: string): Promise<void> {
  await Deno.remove(uri, { recursive: true }).catch(() => {});
}

function chunkPath(dir: string, index: number): string {
  return `${dir}/part-${String(index).padStart(5, "0")}.ndjson`;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array) {
  let offset = 0;
  while (offset < bytes.length) {
    offset += await file.write(bytes.subarray(offset));
  }
}

async function* readLines(
  stream: ReadableStream<Uint8Array>,
): AsyncGenerator<string> {
  let rest = "";
  // The cast reconciles deno.window's and lib.dom's stream typings.
  const decoder = new TextDecoderStream() as unknown as TransformStream<
    Uint8Array,
    string
  >;
  for await (const text of stream.pipeThrough(decoder)) {
    let start = 0;
    let newline = text.indexOf("\n");
    if (newline === -1) {
      rest += text;
      continue;
    }
    yield rest + text.slice(0, newline);
    rest = "";
    start = newline + 1;
    while ((newline = text.indexOf("\n", start)) !== -1) {
      yield text.slice(start, newline);
      start = newline + 1;
    }
    rest = text.slice(start);
  }
  if (rest) yield rest;
}
