// The CSV source: reads one file on the server, inside the directories the
// platform allows, as typed record batches. Writing is not supported yet.

import { basename, isAbsolute, resolve, sep as SEPARATOR } from "node:path";
import {
  AuthError,
  ConnectionError,
  ConnectorError,
  SchemaError,
} from "../errors.ts";
import type {
  CheckResult,
  Column,
  Connector,
  DiscoveredTable,
  ReadRequest,
  RecordBatch,
  WriteRequest,
  WriteResult,
} from "../types.ts";
import type { CsvConfig } from "./config.ts";
import { inferColumnTypes } from "./infer_types.ts";
import { parseCsv } from "./parse_csv.ts";

/** Options for {@linkcode CsvConnector}. */
export interface CsvConnectorOptions {
  /** Directories files may be read from; symlinks out of them are refused. */
  allowedRoots: string[];
}

/**
 * Reads a CSV file as record batches. `read()` honours `path` (instead of the
 * configured one), `batchSize` and `signal`; values stay strings, and column
 * types are inferred from the first batch when `inferTypes` is on.
 */
export class CsvConnector implements Connector {
  #config: CsvConfig;
  #allowedRoots: string[];

  constructor(config: CsvConfig, options: CsvConnectorOptions) {
    this.#config = config;
    this.#allowedRoots = options.allowedRoots;
  }

  /** Checks that the file exists, is a readable file and is inside an allowed directory. */
  async check(): Promise<CheckResult> {
    const path = await this.#resolve(this.#config.path);
    try {
      (await Deno.open(path)).close();
    } catch (error) {
      throw fileError(this.#config.path, error);
    }
    return { ok: true };
  }

  /** One table named after the file, with the columns of its first batch. */
  async discover(): Promise<DiscoveredTable[]> {
    let columns: Column[] = [];
    for await (const batch of this.read()) {
      columns = batch.columns;
      break;
    }
    return [{ name: tableName(this.#config.path), columns }];
  }

  /** Reads the file (`request.path` overrides the configured path). */
  async *read(request: ReadRequest = {}): AsyncGenerator<RecordBatch> {
    const shown = request.path ?? this.#config.path;
    const path = await this.#resolve(shown);
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path);
    } catch (error) {
      throw fileError(shown, error);
    }
    const { delimiter, quote, header, encoding, inferTypes } = this.#config;
    const batches = parseCsv(file.readable, {
      delimiter,
      quote,
      header,
      encoding,
      gzip: this.#config.gzip ?? shown.endsWith(".gz"),
      batchSize: request.batchSize,
      signal: request.signal,
    });
    let columns: Column[] | undefined;
    try {
      for await (const batch of batches) {
        columns ??= inferTypes
          ? inferColumnTypes(
            batch.columns.map((column) => column.name),
            batch.rows as (string | null)[][],
          )
          : batch.columns;
        yield { columns, rows: batch.rows };
      }
    } finally {
      // Normally closed with its stream; not when parsing failed to start.
      try {
        file.close();
      } catch {
        // Already closed.
      }
    }
  }

  /** Not supported yet. */
  write(
    _batches: AsyncIterable<RecordBatch>,
    _request: WriteRequest,
  ): Promise<WriteResult> {
    return Promise.reject(
      new ConnectorError("CSV connector cannot write yet"),
    );
  }

  /** Nothing to release: each read opens and closes its own file. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  // Real path of `path`, refused unless inside an allowed root: resolving
  // symlinks first means neither ".." nor a link can lead outside.
  async #resolve(path: string): Promise<string> {
    const root = this.#allowedRoots[0];
    const absolute = isAbsolute(path) || root === undefined
      ? resolve(path)
      : resolve(root, path);
    // The lexical check first, so nothing is said about files outside.
    if (!await this.#isAllowed(absolute)) throw outside(path);
    let real: string;
    let info: Deno.FileInfo;
    try {
      real = await Deno.realPath(absolute);
      info = await Deno.stat(real);
    } catch (error) {
      throw fileError(path, error);
    }
    if (!await this.#isAllowed(real)) throw outside(path);
    if (!info.isFile) {
      throw new SchemaError(
        `Cannot read CSV ${JSON.stringify(path)}: not a regular file`,
      );
    }
    return real;
  }

  // Compared with each root both as written and with its symlinks resolved.
  async #isAllowed(path: string): Promise<boolean> {
    for (const root of this.#allowedRoots) {
      const forms = [resolve(root)];
      try {
        forms.push(await Deno.realPath(root));
      } catch {
        // A missing root allows nothing real.
      }
      for (const form of forms) {
        const prefix = form.endsWith(SEPARATOR) ? form : form + SEPARATOR;
        if (path === form || path.startsWith(prefix)) return true;
      }
    }
    return false;
  }
}

function outside(path: string): AuthError {
  return new AuthError(
    `Cannot read CSV ${
      JSON.stringify(path)
    }: path is outside the allowed directories`,
  );
}

function fileError(path: string, error: unknown): ConnectorError {
  const shown = JSON.stringify(path);
  if (error instanceof Deno.errors.NotFound) {
    return new SchemaError(`Cannot read CSV ${shown}: file not found`, {
      cause: error,
    });
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return new AuthError(`Cannot read CSV ${shown}: permission denied`, {
      cause: error,
    });
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new ConnectionError(`Cannot read CSV ${shown}: ${detail}`, {
    cause: error,
  });
}

// "sales.csv.gz" → "sales"
function tableName(path: string): string {
  const name = basename(path).replace(/\.gz$/i, "");
  return name.replace(/\.(csv|tsv|txt)$/i, "") || name;
}
