// Staged step outputs: each step's records are staged as a dataset that the
// steps needing it stream back, possibly on another worker. Where datasets
// live is a store behind one interface, picked by the dataset's URI: a path
// (or file: URL) is the local-directory store (local_dataset_store.ts);
// `s3://` is the S3 store (s3_dataset_store.ts, registered at start when
// ETL_DATASET_STORE is set), for fleets without a shared disk.

import type { Column, RecordBatch } from "../../connectors/types.ts";
import { localDatasetStore } from "./local_dataset_store.ts";

export { DatasetMissingError } from "./local_dataset_store.ts";

/** Where a staged dataset lives and what it holds. */
export interface StagedDataset {
  /** The dataset's location: a directory path, or a URI of another store. */
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

/** Where staged datasets are kept. */
export interface DatasetStore {
  /**
   * Writes `batches` as the dataset at `uri`, emptied first, so a
   * re-delivered job starts over instead of appending twice.
   */
  stage(
    uri: string,
    batches: AsyncIterable<RecordBatch>,
    options?: StageOptions,
  ): Promise<StagedDataset>;
  /**
   * Streams a dataset back; an empty one still yields one batch with its
   * columns. A dataset this process cannot reach is a DatasetMissingError.
   */
  read(dataset: Pick<StagedDataset, "uri" | "columns">): AsyncGenerator<
    RecordBatch
  >;
  /** Removes the dataset at `uri`, or every dataset under it (a run's). */
  drop(uri: string): Promise<void>;
}

const stores = new Map<string, DatasetStore>();

/** Makes URIs `<scheme>://…` use `store` (e.g. "s3"). */
export function registerDatasetStore(
  scheme: string,
  store: DatasetStore,
): void {
  stores.set(scheme, store);
}

/** The store of `uri`: by its scheme, the local directories for a path. */
export function datasetStoreFor(uri: string): DatasetStore {
  const scheme = /^([a-z][a-z0-9+.-]+):\/\//i.exec(uri)?.[1].toLowerCase();
  if (scheme === undefined || scheme === "file") return localDatasetStore;
  const store = stores.get(scheme);
  if (!store) {
    throw new Error(
      `Cannot use staged dataset "${uri}": no dataset store for "${scheme}://" URIs (known: local directories${
        [...stores.keys()].map((s) => `, ${s}://`).join("")
      })`,
    );
  }
  return store;
}

/** Stages `batches` at `uri` (see {@linkcode DatasetStore.stage}). */
export function stageDataset(
  uri: string,
  batches: AsyncIterable<RecordBatch>,
  options: StageOptions = {},
): Promise<StagedDataset> {
  return datasetStoreFor(uri).stage(uri, batches, options);
}

/** Streams a staged dataset back (see {@linkcode DatasetStore.read}). */
export function readDataset(
  dataset: Pick<StagedDataset, "uri" | "columns">,
): AsyncGenerator<RecordBatch> {
  return datasetStoreFor(dataset.uri).read(dataset);
}

/** Removes a dataset or a run's datasets (see {@linkcode DatasetStore.drop}). */
export function dropDataset(uri: string): Promise<void> {
  return datasetStoreFor(uri).drop(uri);
}
