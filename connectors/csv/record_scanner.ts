// Splits decoded CSV text into records of string/null values, carrying an
// unfinished record over to the next chunk of text.

import { DataError } from "../errors.ts";
import type { Column } from "../types.ts";

/** A CSV value: unquoted empty fields are SQL NULL, everything else a string. */
export type CsvValue = string | null;

const LF = 10;
const CR = 13;

/** Splits decoded text into records, carrying an unfinished one to the next push. */
export class RecordScanner {
  /** Full batches waiting to be yielded. */
  readonly ready: CsvValue[][][] = [];
  /** The header record, once read. */
  header: CsvValue[] | undefined;
  #rows: CsvValue[][] = [];
  // Batches of exactly #batchSize rows handed to `ready` so far.
  #fullBatches = 0;
  #batchSize: number;
  #delim: string;
  #delimCode: number;
  #quote: string;
  #quoteCode: number;
  #wantHeader: boolean;
  #given: Column[] | undefined;
  #expected: number;
  // Unparsed text and the line it starts on.
  #buf = "";
  #line = 1;
  // Don't rescan an unfinished record until the buffer doubles: linear time
  // even for a record far larger than a chunk.
  #retryAt = 0;
  // Cached position of the next delimiter in #buf (-1: none left).
  #nextDelim = -1;
  // Line after the record #scanQuoted just read.
  #lineAfter = 0;
  // Blank lines (consecutive, from #blankStart) only count as records when
  // a record follows them: trailing ones are ignored.
  #blankStart = 0;
  #blankCount = 0;

  constructor(
    delimiter: string,
    quote: string,
    batchSize: number,
    header: boolean,
    given: Column[] | undefined,
  ) {
    this.#delim = delimiter;
    this.#delimCode = delimiter.charCodeAt(0);
    this.#quote = quote;
    this.#quoteCode = quote.charCodeAt(0);
    this.#batchSize = batchSize;
    this.#wantHeader = header;
    this.#given = given;
    this.#expected = given?.length ?? -1;
  }

  /** Adds text; `force` scans now even if an unfinished record is still short. */
  push(text: string, force = false): void {
    this.#buf += text;
    if (force || this.#buf.length >= this.#retryAt) this.#scan(false);
  }

  /** Reads the last record, which needs no line break, and the last batch. */
  finish(): void {
    this.#scan(true);
    this.#blankCount = 0;
    if (this.#wantHeader) {
      throw new DataError(
        "Cannot parse CSV: the file is empty, expected a header line",
        { line: 1 },
      );
    }
    if (this.#rows.length > 0) this.ready.push(this.#rows);
    this.#rows = [];
  }

  /** Line the unparsed text ends on. */
  lineAtEnd(): number {
    return this.#line + countLf(this.#buf, 0, this.#buf.length);
  }

  /** Data record being read, or `undefined` while still in the header. */
  rowInProgress(): number | undefined {
    return this.#wantHeader
      ? undefined
      : this.#fullBatches * this.#batchSize + this.#rows.length + 1;
  }

  /** Columns of the batches: given, from the header or column_1..n. */
  columns(): Column[] {
    if (this.#given) return this.#given;
    if (this.header) {
      return this.header.map((name) => ({ name: name!, type: "text" }));
    }
    return Array.from(
      { length: Math.max(this.#expected, 0) },
      (_, i) => ({ name: `column_${i + 1}`, type: "text" }),
    );
  }

  #scan(final: boolean): void {
    const buf = this.#buf;
    const len = buf.length;
    const delim = this.#delim;
    const batchSize = this.#batchSize;
    let pos = 0;
    let line = this.#line;
    let nextQuote = buf.indexOf(this.#quote);
    let next = buf.indexOf(delim);
    // Plain data rows are added right here; anything else (header, first
    // record, pending blank lines, a wrong field count) goes through #record.
    let rows = this.#rows;
    let fast = this.#fastFields();
    while (pos < len) {
      let eol = buf.indexOf("\n", pos);
      if (nextQuote !== -1 && nextQuote < pos) {
        nextQuote = buf.indexOf(this.#quote, pos);
      }
      if (nextQuote !== -1 && (eol === -1 || nextQuote < eol)) {
        this.#nextDelim = next;
        this.#rows = rows;
        const end = this.#scanQuoted(buf, pos, line, final);
        if (end === -1) break;
        next = this.#nextDelim;
        pos = end;
        line = this.#lineAfter;
        rows = this.#rows;
        fast = this.#fastFields();
        continue;
      }
      // Fast path: a whole line without a quote character.
      if (eol === -1) {
        if (!final) break;
        eol = len;
      }
      let end = eol;
      if (end > pos && buf.charCodeAt(end - 1) === CR) end--;
      if (end === pos) {
        if (this.#blankCount++ === 0) this.#blankStart = line;
        fast = -1;
      } else {
        // Sized up front: growing an empty array allocates twice the memory.
        const row: CsvValue[] = fast > 0 ? new Array(fast) : [];
        let start = pos;
        let n = 0;
        for (;;) {
          if (next !== -1 && next < start) next = buf.indexOf(delim, start);
          if (next === -1 || next >= end) {
            row[n++] = start === end ? null : buf.slice(start, end);
            break;
          }
          row[n++] = next === start ? null : buf.slice(start, next);
          start = next + 1;
        }
        if (n === fast) {
          rows.push(row);
          if (rows.length === batchSize) {
            this.ready.push(rows);
            this.#fullBatches++;
            rows = this.#rows = [];
          }
        } else {
          row.length = n;
          this.#rows = rows;
          this.#record(row, line);
          rows = this.#rows;
          fast = this.#fastFields();
        }
      }
      line++;
      pos = eol + 1;
    }
    this.#rows = rows;
    this.#buf = pos < len ? buf.slice(pos) : "";
    this.#line = line;
    this.#retryAt = this.#buf.length * 2;
  }

  // Reads one record that has a quote character somewhere; -1 if the text
  // ends before the record does.
  #scanQuoted(buf: string, pos: number, line: number, final: boolean): number {
    const len = buf.length;
    const quoteCode = this.#quoteCode;
    const row: CsvValue[] = [];
    const recordLine = line;
    let p = pos;
    for (;;) {
      if (p < len && buf.charCodeAt(p) === quoteCode) {
        const quoteLine = line;
        let value = "";
        let from = p + 1;
        for (;;) {
          const close = buf.indexOf(this.#quote, from);
          if (close === -1) {
            if (!final) return -1;
            throw new DataError(
              `Cannot parse CSV: line ${recordLine}: unterminated quoted field starting at line ${quoteLine}`,
              { line: recordLine, row: this.rowInProgress() },
            );
          }
          line += countLf(buf, from, close);
          if (close + 1 === len && !final) return -1;
          if (buf.charCodeAt(close + 1) === quoteCode) {
            value += buf.slice(from, close + 1);
            from = close + 2;
            continue;
          }
          value += buf.slice(from, close);
          p = close + 1;
          break;
        }
        row.push(value);
        if (p === len) break;
        const code = buf.charCodeAt(p);
        if (code === this.#delimCode) {
          p++;
          continue;
        }
        if (code === LF) {
          p++;
          line++;
          break;
        }
        if (code === CR) {
          if (p + 1 === len) {
            if (!final) return -1;
            p++;
            break;
          }
          if (buf.charCodeAt(p + 1) === LF) {
            p += 2;
            line++;
            break;
          }
        }
        throw new DataError(
          `Cannot parse CSV: line ${line}: unexpected character ${
            JSON.stringify(buf[p])
          } after closing quote`,
          { line, row: this.rowInProgress() },
        );
      }
      // An unquoted field; a quote character inside it is plain data.
      let eol = buf.indexOf("\n", p);
      if (eol === -1) {
        if (!final) return -1;
        eol = len;
      }
      let next = this.#nextDelim;
      if (next !== -1 && next < p) {
        next = this.#nextDelim = buf.indexOf(this.#delim, p);
      }
      if (next !== -1 && next < eol) {
        row.push(next === p ? null : buf.slice(p, next));
        p = next + 1;
        continue;
      }
      let end = eol;
      if (end > p && buf.charCodeAt(end - 1) === CR) end--;
      row.push(end === p ? null : buf.slice(p, end));
      if (eol < len) line++;
      p = eol + 1;
      break;
    }
    this.#record(row, recordLine);
    this.#lineAfter = line;
    return p;
  }

  // Field count a row needs to skip #record, or -1 while #record must see it.
  #fastFields(): number {
    return this.#wantHeader || this.#blankCount > 0 ? -1 : this.#expected;
  }

  #record(row: CsvValue[], line: number): void {
    const blanks = this.#blankCount;
    this.#blankCount = 0;
    for (let i = 0; i < blanks; i++) this.#accept([null], this.#blankStart + i);
    this.#accept(row, line);
  }

  #accept(row: CsvValue[], line: number): void {
    if (this.#wantHeader) {
      this.#wantHeader = false;
      this.#readHeader(row, line);
      return;
    }
    if (row.length !== this.#expected) {
      if (this.#expected !== -1) {
        throw new DataError(
          `Cannot parse CSV: line ${line} has ${row.length} fields, expected ${this.#expected} (ragged row)`,
          { line, row: this.rowInProgress() },
        );
      }
      this.#expected = row.length;
    }
    this.#rows.push(row);
    if (this.#rows.length === this.#batchSize) {
      this.ready.push(this.#rows);
      this.#fullBatches++;
      this.#rows = [];
    }
  }

  #readHeader(row: CsvValue[], line: number): void {
    if (this.#given) {
      if (row.length !== this.#expected) {
        throw new DataError(
          `Cannot parse CSV: line ${line}: header has ${row.length} fields, but the columns option lists ${this.#expected}`,
          { line },
        );
      }
      this.header = row;
      return;
    }
    const seen = new Map<string, number>();
    for (let i = 0; i < row.length; i++) {
      const name = row[i];
      if (name === null || name.trim() === "") {
        throw new DataError(
          `Cannot parse CSV: line ${line}: header column ${
            i + 1
          } has an empty name`,
          { line },
        );
      }
      const first = seen.get(name);
      if (first !== undefined) {
        throw new DataError(
          `Cannot parse CSV: line ${line}: duplicate header name ${
            JSON.stringify(name)
          } in columns ${first} and ${i + 1}`,
          { line },
        );
      }
      seen.set(name, i + 1);
    }
    this.header = row;
    this.#expected = row.length;
  }
}

function countLf(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i++) if (text.charCodeAt(i) === LF) count++;
  return count;
}
