// The local-directory dataset store: a dataset is a directory of chunk files
// of PostgreSQL COPY text lines (tab-separated, `\N` for null) plus a
// `dataset.json` written last. A PostgreSQL target streams the text as is,
// without parsing a value; other targets decode it (copy_decode.ts). Memory
// stays bounded by batch size. Steps on other machines see these files only
// through a shared data directory.

import type { Column, RecordBatch } from "../../connectors/types.ts";
import type {
  DatasetStore,
  StagedDataset,
  StageOptions,
} from "./dataset_store.ts";
import {
  batchCopyText,
  batchRowCount,
  CopyTextBatch,
  lineGroups,
} from "./copy_decode.ts";

// A new chunk file after this many bytes keeps single files manageable.
const CHUNK_BYTES = 64 * 1024 * 1024;
// Rows per batch read back (the writer's batches are not remembered).
const READ_BATCH_ROWS = 10_000;

/**
 * Writes `batches` under `dir` (created; emptied first, so a re-delivered job
 * starts over instead of appending twice).
 */
async function stageLocal(
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
      const rows = batchRowCount(batch);
      if (rows === 0) continue;
      if (!file || chunkBytes >= CHUNK_BYTES) {
        file?.close();
        file = await Deno.open(chunkPath(dir, chunkIndex++), {
          write: true,
          create: true,
          truncate: true,
        });
        chunkBytes = 0;
      }
      const text = batchCopyText(batch);
      const bytes = typeof text === "string" ? encoder.encode(text) : text;
      await writeAll(file, bytes);
      chunkBytes += bytes.length;
      byteCount += bytes.length;
      rowCount += rows;
      options.onProgress?.(rowCount);
    }
  } finally {
    file?.close();
  }
  const staged = { uri: dir, columns: columns ?? [], rowCount, byteCount };
  await Deno.writeTextFile(`${dir}/dataset.json`, JSON.stringify(staged));
  return staged;
}

/** The error of a staged dataset that is not on this machine's disk. */
export class DatasetMissingError extends Error {
  constructor(uri: string) {
    super(
      `Cannot read staged dataset "${uri}": it is not on this machine. Staged datasets are files under the data directory of the worker that made them, so the workers of a fleet must share it (ETL_DATA_DIR on a shared disk), stage datasets in S3 (ETL_DATASET_STORE=s3://bucket/prefix) or run on one machine`,
    );
    this.name = "DatasetMissingError";
  }
}

/**
 * Streams a staged dataset back as record batches, chunk by chunk. A
 * dataset staged on another machine fails loudly (DatasetMissingError)
 * rather than reading as empty.
 */
async function* readLocal(
  dataset: Pick<StagedDataset, "uri" | "columns">,
): AsyncGenerator<RecordBatch> {
  const { columns } = dataset;
  // Written last by stageDataset: its absence means the files are elsewhere.
  try {
    await Deno.stat(`${dataset.uri}/dataset.json`);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new DatasetMissingError(dataset.uri);
    }
    throw error;
  }
  let yielded = false;
  for (let index = 0;; index++) {
    let file: Deno.FsFile;
    try {
      file = await Deno.open(chunkPath(dataset.uri, index));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) break;
      throw error;
    }
    for await (const text of lineGroups(file.readable, READ_BATCH_ROWS)) {
      yielded = true;
      yield new CopyTextBatch(columns, text);
    }
  }
  // Downstream steps still learn the columns of an empty dataset.
  if (!yielded) yield { columns, rows: [] };
}

/** Staged datasets as files under a local (or shared) directory. */
export const localDatasetStore: DatasetStore = {
  stage: stageLocal,
  read: readLocal,
  async drop(uri) {
    await Deno.remove(uri, { recursive: true }).catch(() => {});
  },
};

function chunkPath(dir: string, index: number): string {
  return `${dir}/part-${String(index).padStart(5, "0")}.copy`;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array) {
  let offset = 0;
  while (offset < bytes.length) {
    offset += await file.write(bytes.subarray(offset));
  }
}
