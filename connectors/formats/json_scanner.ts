// An incremental JSON scanner that finds the array of records in a document
// and cuts out each record's text as it completes, so a 1 GB array is read
// in constant memory: only one record's text is held at a time.
//
// Outside the records the scanner checks the full grammar (it must, to walk
// past fields before the array); inside a record it only follows strings and
// brackets, and JSON.parse on the record's text does the rest.

import { DataError, SchemaError } from "../errors.ts";

/** The text of one record and the line it starts on. */
export interface ScannedRecord {
  text: string;
  line: number;
}

/** A record larger than this is refused, so a missing quote cannot eat memory. */
export const MAX_RECORD_CHARS = 64 * 1024 * 1024;

type Expect =
  | "value"
  | "value-or-close"
  | "key"
  | "key-or-close"
  | "colon"
  | "comma-or-close"
  | "end";

interface Frame {
  array: boolean;
  // Index into the records path of this object's wanted key; -1 if off path.
  segment: number;
  records: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LF = 0x0a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const SCALAR_START = /[-0-9a-z]/;
const SCALAR_CHAR = /[-+.0-9a-zA-Z]/;
const SCALAR =
  /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)$/;

/**
 * Scans JSON text pushed in chunks. Completed records collect in `ready`;
 * `done` turns true once the records array has closed under a records path
 * (the rest of the document is not needed). Throws `DataError` for malformed
 * JSON and `SchemaError` when the records are not where the path says.
 */
export class JsonRecordScanner {
  /** Records completed so far; the caller takes them. */
  readonly ready: ScannedRecord[] = [];
  /** The line being scanned (1-based). */
  line = 1;
  /** The records array closed and nothing more is needed. */
  done = false;
  #path: string[];
  #stack: Frame[] = [];
  #expect: Expect = "value";
  // Records-path level of the next value: -1 when it is off the path.
  #level = 0;
  #found = false;
  #records = 0;
  // A string outside records: its raw text when it is a key, else skipped.
  #inString = false;
  #escaped = false;
  #key: string[] | undefined;
  #scalar: string | undefined;
  // The record being cut out: its pieces, open brackets and string state.
  #record: string[] | undefined;
  #recordChars = 0;
  #recordLine = 0;
  #brackets: number[] = [];
  #recordInString = false;
  // A backslash ended the last chunk: the next character is escaped.
  #recordEscaped = false;

  constructor(path: string[]) {
    this.#path = path;
  }

  /** Scans the next chunk of text. */
  push(text: string): void {
    let i = 0;
    while (i < text.length && !this.done) {
      i = this.#record
        ? this.#scanRecord(text, i)
        : this.#scanStructure(text, i);
    }
  }

  /** Checks that the input ended where a document may end. */
  finish(): void {
    if (this.done) return;
    if (this.#scalar !== undefined) this.#endScalar();
    if (this.#expect !== "end" || this.#record || this.#inString) {
      throw this.#fault("unexpected end of input");
    }
    if (!this.#found) {
      throw new SchemaError(
        `Cannot parse JSON: no array of records at ${
          JSON.stringify(this.#path.join("."))
        }`,
      );
    }
  }

  // Cuts out record text from `start`; returns where the record ended. A
  // charCodeAt loop: records are mostly short strings, where it measured
  // faster than a regex or indexOf jumping from quote to quote.
  #scanRecord(text: string, start: number): number {
    const length = text.length;
    const brackets = this.#brackets;
    let inString = this.#recordInString;
    let i = start;
    if (this.#recordEscaped) {
      this.#recordEscaped = false;
      i++;
    }
    for (; i < length; i++) {
      const code = text.charCodeAt(i);
      if (inString) {
        if (code === QUOTE) inString = false;
        else if (code === BACKSLASH) {
          if (i + 1 < length) i++;
          else this.#recordEscaped = true;
        } else if (code === LF) {
          // A raw line break is never inside a JSON string: fail here rather
          // than read the rest of the file into one "record".
          throw this.#fault("unterminated string");
        }
        continue;
      }
      if (code === QUOTE) {
        inString = true;
      } else if (code === LF) {
        this.line++;
      } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
        brackets.push(code + 2); // "{" + 2 is "}", "[" + 2 is "]"
      } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
        if (brackets.pop() !== code) {
          throw this.#fault(`unexpected "${text[i]}"`);
        }
        if (brackets.length === 0) {
          this.#keep(text.slice(start, i + 1));
          this.ready.push({
            text: this.#record!.join(""),
            line: this.#recordLine,
          });
          this.#record = undefined;
          this.#expect = "comma-or-close";
          return i + 1;
        }
      }
    }
    this.#recordInString = inString;
    this.#keep(text.slice(start));
    return length;
  }

  #keep(piece: string): void {
    this.#recordChars += piece.length;
    if (this.#recordChars > MAX_RECORD_CHARS) {
      throw new DataError(
        `Cannot parse JSON: line ${this.#recordLine}: record ${this.#records} is larger than ${MAX_RECORD_CHARS} characters`,
        { line: this.#recordLine, row: this.#records },
      );
    }
    this.#record!.push(piece);
  }

  // Scans outside records, one character at a time; returns the next index,
  // or the start of a record to hand over to #scanRecord.
  #scanStructure(text: string, start: number): number {
    for (let i = start; i < text.length; i++) {
      const char = text[i];
      if (this.#inString) {
        this.#stringChar(char);
        continue;
      }
      if (this.#scalar !== undefined) {
        if (SCALAR_CHAR.test(char)) {
          this.#scalar += char;
          continue;
        }
        this.#endScalar();
      }
      if (char === "\n") {
        this.line++;
        continue;
      }
      if (char === " " || char === "\t" || char === "\r") continue;
      const top = this.#stack.at(-1);
      if (
        top?.records &&
        (this.#expect === "value" || this.#expect === "value-or-close") &&
        char !== "]"
      ) {
        this.#startRecord(char);
        return i;
      }
      this.#structureChar(char, top);
      if (this.done) return text.length;
    }
    return text.length;
  }

  #stringChar(char: string): void {
    if (char === "\n") throw this.#fault("unterminated string");
    if (this.#escaped) this.#escaped = false;
    else if (char === "\\") this.#escaped = true;
    else if (char === '"') {
      this.#inString = false;
      if (this.#key) return this.#endKey(this.#key.join(""));
      return this.#valueDone();
    }
    this.#key?.push(char);
  }

  #structureChar(char: string, top: Frame | undefined): void {
    const expect = this.#expect;
    if (expect === "value" || expect === "value-or-close") {
      if (char === "]" && expect === "value-or-close") return this.#close();
      return this.#startValue(char);
    }
    if (expect === "key" || expect === "key-or-close") {
      if (char === "}" && expect === "key-or-close") return this.#close();
      if (char !== '"') throw this.#fault(`unexpected "${char}"`);
      this.#inString = true;
      this.#key = [];
      return;
    }
    if (expect === "colon" && char === ":") {
      this.#expect = "value";
      return;
    }
    if (expect === "comma-or-close" && top) {
      if (char === ",") {
        this.#expect = top.array ? "value" : "key";
        return;
      }
      if (char === (top.array ? "]" : "}")) return this.#close();
    }
    throw this.#fault(`unexpected "${char}"`);
  }

  #startValue(char: string): void {
    const level = this.#level;
    this.#level = -1;
    if (level >= 0) this.#checkOnPath(char, level);
    if (char === "{" || char === "[") {
      const array = char === "[";
      const records = level === this.#path.length;
      this.#stack.push({ array, segment: array ? -1 : level, records });
      this.#expect = array ? "value-or-close" : "key-or-close";
      if (records) this.#found = true;
    } else if (char === '"') {
      this.#inString = true;
      this.#key = undefined;
    } else if (SCALAR_START.test(char)) {
      this.#scalar = char;
    } else {
      throw this.#fault(`unexpected "${char}"`);
    }
  }

  // A value the records path goes through: an object, or the records array.
  #checkOnPath(char: string, level: number): void {
    const wantArray = level === this.#path.length;
    if (char === (wantArray ? "[" : "{")) return;
    const found = kindOfStart(char);
    if (level === 0 && this.#path.length === 0) {
      throw new SchemaError(
        `Cannot parse JSON: line ${this.line}: expected an array of records, found ${found}${
          found === "an object"
            ? '; give the records path of the array inside it, e.g. "data.items"'
            : ""
        }`,
      );
    }
    const at = level === 0 ? "the document" : JSON.stringify(
      this.#path.slice(0, level).join("."),
    );
    throw new SchemaError(
      `Cannot parse JSON: line ${this.line}: ${at} is ${found}, expected ${
        wantArray ? "an array of records" : "an object"
      }`,
    );
  }

  #endKey(raw: string): void {
    this.#key = undefined;
    const top = this.#stack.at(-1)!;
    let key: string;
    try {
      key = JSON.parse(`"${raw}"`);
    } catch (error) {
      throw this.#fault(`invalid key: ${(error as Error).message}`);
    }
    const wanted = top.segment >= 0 && key === this.#path[top.segment];
    this.#level = wanted ? top.segment + 1 : -1;
    this.#expect = "colon";
  }

  #endScalar(): void {
    if (!SCALAR.test(this.#scalar!)) {
      throw this.#fault(`unexpected ${JSON.stringify(this.#scalar)}`);
    }
    this.#scalar = undefined;
    this.#valueDone();
  }

  #close(): void {
    const frame = this.#stack.pop()!;
    // Under a records path, the rest of the document is not needed.
    if (frame.records && this.#path.length > 0) this.done = true;
    else this.#valueDone();
  }

  #valueDone(): void {
    this.#expect = this.#stack.length === 0 ? "end" : "comma-or-close";
  }

  #startRecord(char: string): void {
    this.#records++;
    if (char !== "{") {
      throw new DataError(
        `Cannot parse JSON: line ${this.line}: record ${this.#records} is ${
          kindOfStart(char)
        }, expected an object`,
        { line: this.line, row: this.#records },
      );
    }
    this.#record = [];
    this.#recordChars = 0;
    this.#recordLine = this.line;
    this.#brackets.length = 0;
    this.#recordInString = false;
  }

  #fault(detail: string): DataError {
    return new DataError(`Cannot parse JSON: line ${this.line}: ${detail}`, {
      line: this.line,
    });
  }
}

function kindOfStart(char: string): string {
  if (char === "{") return "an object";
  if (char === "[") return "an array";
  if (char === '"') return "a string";
  if (char === "t" || char === "f") return "a boolean";
  if (char === "n") return "null";
  return "a number";
}
