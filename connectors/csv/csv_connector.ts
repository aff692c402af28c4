// The files source: reads one CSV, NDJSON or JSON file, from a path on the
// server inside the directories the platform allows (uploads included) or
// from an http(s) URL the server downloads, as typed record batches. Writing
// is not supported yet.

import { isAbsolute, resolve, sep as SEPARATOR } from "node:path";
import {
  AuthError,
  ConnectionError,
  ConnectorError,
  SchemaError,
} from "../errors.ts";
import { peekGzip } from "../formats/gzip.ts";
import { parseJsonArray } from "../formats/json.ts";
import { parseNdjson } from "../formats/ndjson.ts";
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
import type { CsvConfig, FileFormat } from "./config.ts";
import {
  formatLabels,
  formatOfContentType,
  formatOfName,
  shownUrl,
  tableNameOf,
} from "./file_format.ts";
import { inferColumnTypes } from "./infer_types.ts";
import { parseCsv } from "./parse_csv.ts";
import { rowsAfterCursor } from "./read_cursor.ts";
import { fetchFile } from "./url_source.ts";

/** Options for {@linkcode CsvConnector}. */
export interface CsvConnectorOptions {
  /** Directories files may be read from; symlinks out of them are refused. */
  allowedRoots: string[];
}

const DEFAULT_TIMEOUT_SECONDS = 30;

// Bytes to read, with what is known of them before parsing.
interface OpenedFile {
  stream: ReadableStream<Uint8Array>;
  format: FileFormat;
  close(): void;
}

/**
 * Reads a CSV, NDJSON or JSON file as record batches; the format comes from
 * the config, else the extension, else (for a URL) the Content-Type, else
 * CSV. `read()` honours `path` (instead of the configured path or url),
 * `batchSize`, `cursor` (records past it, compared after reading: a file has
 * no index) and `signal`. CSV values stay strings, with column types inferred
 * from the first batch when `inferTypes` is on; JSON values keep their types.
 */
export class CsvConnector implements Connector {
  #config: CsvConfig;
  #allowedRoots: string[];

  constructor(config: CsvConfig, options: CsvConnectorOptions) {
    this.#config = config;
    this.#allowedRoots = options.allowedRoots;
  }

  /** Checks that the file is readable: inside an allowed directory, or downloadable. */
  async check(): Promise<CheckResult> {
    const opened = await this.#open({});
    await opened.stream.cancel().catch(() => {});
    opened.close();
    return { ok: true };
  }

  /** One table named after the file, with the columns of its first batch. */
  async discover(): Promise<DiscoveredTable[]> {
    let columns: Column[] = [];
    for await (const batch of this.read()) {
      columns = batch.columns;
      break;
    }
    return [{ name: tableNameOf(this.#name({})), columns }];
  }

  /** Reads the file (`request.path` overrides the configured path or url). */
  async *read(request: ReadRequest = {}): AsyncGenerator<RecordBatch> {
    const opened = await this.#open(request);
    try {
      const batches = this.#parse(opened, request);
      yield* request.cursor
        ? rowsAfterCursor(batches, request.cursor, this.#what(request))
        : batches;
    } finally {
      opened.close();
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

  async *#parse(
    opened: OpenedFile,
    request: ReadRequest,
  ): AsyncGenerator<RecordBatch> {
    const { batchSize, signal } = request;
    const { delimiter, quote, header, encoding, inferTypes } = this.#config;
    let { stream } = opened;
    let gzip = this.#config.gzip;
    if (gzip === undefined) ({ stream, gzip } = await peekGzip(stream));
    if (opened.format === "ndjson") {
      this.#checkUtf8(request);
      return yield* parseNdjson(stream, { batchSize, gzip, signal });
    }
    if (opened.format === "json") {
      this.#checkUtf8(request);
      const recordsPath = this.#config.records_path;
      return yield* parseJsonArray(stream, {
        batchSize,
        gzip,
        recordsPath,
        signal,
      });
    }
    const batches = parseCsv(stream, {
      delimiter,
      quote,
      header,
      encoding,
      gzip,
      batchSize,
      signal,
    });
    let columns: Column[] | undefined;
    for await (const batch of batches) {
      columns ??= inferTypes
        ? inferColumnTypes(
          batch.columns.map((column) => column.name),
          batch.rows as (string | null)[][],
        )
        : batch.columns;
      yield { columns, rows: batch.rows };
    }
  }

  // JSON is UTF-8 (RFC 8259); a configured legacy encoding is a mistake.
  #checkUtf8(request: ReadRequest): void {
    const { encoding } = this.#config;
    if (new TextDecoder(encoding).encoding === "utf-8") return;
    throw new SchemaError(
      `Cannot read ${
        this.#what(request)
      }: JSON files are UTF-8, but the encoding is set to ${
        JSON.stringify(encoding)
      }; remove the encoding setting`,
    );
  }

  async #open(request: ReadRequest): Promise<OpenedFile> {
    const { url, format, timeout_seconds } = this.#config;
    if (url !== undefined && request.path === undefined) {
      const fetched = await fetchFile(url, {
        timeoutMs: (timeout_seconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
        signal: request.signal,
        label: formatLabels[this.#format(request)],
      });
      return {
        stream: fetched.body,
        format: format ?? formatOfName(url) ??
          formatOfContentType(fetched.contentType) ?? "csv",
        close() {},
      };
    }
    const shown = this.#name(request);
    const label = formatLabels[this.#format(request)];
    const path = await this.#resolve(shown, label);
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path);
    } catch (error) {
      throw fileError(shown, label, error);
    }
    return {
      stream: file.readable,
      format: this.#format(request),
      close() {
        // Normally closed with its stream; not when parsing failed to start.
        try {
          file.close();
        } catch {
          // Already closed.
        }
      },
    };
  }

  // The path or URL a read is of.
  #name(request: ReadRequest): string {
    return request.path ?? this.#config.path ?? this.#config.url ?? "";
  }

  // The format as known before any byte is read.
  #format(request: ReadRequest): FileFormat {
    return this.#config.format ?? formatOfName(this.#name(request)) ?? "csv";
  }

  // `CSV "sales.csv"`, for messages; a URL without its query.
  #what(request: ReadRequest): string {
    const name = this.#name(request);
    const shown = request.path === undefined && this.#config.url !== undefined
      ? shownUrl(name)
      : name;
    return `${formatLabels[this.#format(request)]} ${JSON.stringify(shown)}`;
  }

  // Real path of `path`, refused unless inside an allowed root: resolving
  // symlinks first means neither ".." nor a link can lead outside.
  async #resolve(path: string, label: string): Promise<string> {
    const root = this.#allowedRoots[0];
    const absolute = isAbsolute(path) || root === undefined
      ? resolve(path)
      : resolve(root, path);
    // The lexical check first, so nothing is said about files outside.
    if (!await this.#isAllowed(absolute)) throw outside(path, label);
    let real: string;
    let info: Deno.FileInfo;
    try {
      real = await Deno.realPath(absolute);
      info = await Deno.stat(real);
    } catch (error) {
      throw fileError(path, label, error);
    }
    if (!await this.#isAllowed(real)) throw outside(path, label);
    if (!info.isFile) {
      throw new SchemaError(
        `Cannot read ${label} ${JSON.stringify(path)}: not a regular file`,
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

function outside(path: string, label: string): AuthError {
  return new AuthError(
    `Cannot read ${label} ${
      JSON.stringify(path)
    }: path is outside the allowed directories`,
  );
}

function fileError(
  path: string,
  label: string,
  error: unknown,
): ConnectorError {
  const shown = `${label} ${JSON.stringify(path)}`;
  if (error instanceof Deno.errors.NotFound) {
    return new SchemaError(`Cannot read ${shown}: file not found`, {
      cause: error,
    });
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return new AuthError(`Cannot read ${shown}: permission denied`, {
      cause: error,
    });
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new ConnectionError(`Cannot read ${shown}: ${detail}`, {
    cause: error,
  });
}
