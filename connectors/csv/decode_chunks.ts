// Turns byte chunks into text without ever splitting a character, so a bad
// byte can be placed on its exact line instead of "somewhere in this chunk".

/** Thrown by {@linkcode ChunkDecoder}: `validText` is the text before the bad bytes. */
export class DecodeFault extends Error {
  constructor(readonly validText: string, options?: ErrorOptions) {
    super("Invalid byte sequence", options);
    this.name = "DecodeFault";
  }
}

// WHATWG single-byte encodings: every chunk boundary is a character boundary.
const SINGLE_BYTE = new Set([
  "ibm866",
  "iso-8859-2",
  "iso-8859-3",
  "iso-8859-4",
  "iso-8859-5",
  "iso-8859-6",
  "iso-8859-7",
  "iso-8859-8",
  "iso-8859-8-i",
  "iso-8859-10",
  "iso-8859-13",
  "iso-8859-14",
  "iso-8859-15",
  "iso-8859-16",
  "koi8-r",
  "koi8-u",
  "macintosh",
  "windows-874",
  "windows-1250",
  "windows-1251",
  "windows-1252",
  "windows-1253",
  "windows-1254",
  "windows-1255",
  "windows-1256",
  "windows-1257",
  "windows-1258",
  "x-mac-cyrillic",
]);

type Mode = "utf-8" | "utf-16le" | "utf-16be" | "single" | "stream";

/**
 * A fatal decoder that keeps incomplete trailing characters for the next chunk
 * itself. For UTF-8, UTF-16 and single-byte encodings a fault reports exactly
 * the text before the bad bytes; for the stateful East Asian encodings it falls
 * back to a streaming decoder and reports the text before the chunk.
 */
export class ChunkDecoder {
  /** Canonical WHATWG name of the encoding, e.g. "windows-1252" for "latin1". */
  readonly encoding: string;
  #mode: Mode;
  #decoder: TextDecoder;
  #carry: Uint8Array | undefined;
  #started = false;

  /** Throws a `RangeError` for a label `TextDecoder` does not know. */
  constructor(label: string) {
    this.#decoder = new TextDecoder(label, { fatal: true, ignoreBOM: true });
    this.encoding = this.#decoder.encoding;
    this.#mode = this.encoding === "utf-8" ||
        this.encoding === "utf-16le" || this.encoding === "utf-16be"
      ? this.encoding
      : SINGLE_BYTE.has(this.encoding)
      ? "single"
      : "stream";
  }

  /** Decodes one chunk; bytes of an unfinished character wait for the next. */
  decode(chunk: Uint8Array): string {
    if (this.#mode === "stream") {
      try {
        return this.#strip(this.#decoder.decode(chunk, { stream: true }));
      } catch (error) {
        throw new DecodeFault("", { cause: error });
      }
    }
    let bytes = chunk;
    if (this.#carry !== undefined) {
      bytes = new Uint8Array(this.#carry.length + chunk.length);
      bytes.set(this.#carry);
      bytes.set(chunk, this.#carry.length);
      this.#carry = undefined;
    }
    const keep = this.#incompleteTail(bytes);
    if (keep > 0) {
      this.#carry = bytes.slice(bytes.length - keep);
      bytes = bytes.subarray(0, bytes.length - keep);
    }
    return this.#strip(this.#decodeWhole(bytes));
  }

  /** Decodes what is left at the end of the input; leftover bytes are a fault. */
  flush(): string {
    if (this.#mode === "stream") {
      try {
        return this.#strip(this.#decoder.decode());
      } catch (error) {
        throw new DecodeFault("", { cause: error });
      }
    }
    const carry = this.#carry;
    this.#carry = undefined;
    return carry === undefined ? "" : this.#strip(this.#decodeWhole(carry));
  }

  #decodeWhole(bytes: Uint8Array): string {
    try {
      return this.#decoder.decode(bytes);
    } catch (error) {
      throw new DecodeFault(this.#strip(this.#validPrefix(bytes)), {
        cause: error,
      });
    }
  }

  // Binary search for the shortest prefix that fails: streaming decode only
  // fails on a real fault, never on a character cut off at the end.
  #validPrefix(bytes: Uint8Array): string {
    let ok = 0;
    let bad = bytes.length;
    while (bad - ok > 1) {
      const mid = (ok + bad) >>> 1;
      try {
        new TextDecoder(this.encoding, { fatal: true, ignoreBOM: true })
          .decode(bytes.subarray(0, mid), { stream: true });
        ok = mid;
      } catch {
        bad = mid;
      }
    }
    return new TextDecoder(this.encoding, { ignoreBOM: true })
      .decode(bytes.subarray(0, ok), { stream: true });
  }

  // Number of bytes at the end that start a character the chunk does not finish.
  #incompleteTail(bytes: Uint8Array): number {
    const end = bytes.length;
    if (this.#mode === "utf-8") {
      for (let i = end - 1; i >= 0 && i >= end - 4; i--) {
        const byte = bytes[i];
        if (byte < 0x80) return 0;
        if (byte >= 0xc0) {
          const size = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
          return end - i < size ? end - i : 0;
        }
      }
      return 0;
    }
    if (this.#mode === "utf-16le" || this.#mode === "utf-16be") {
      const odd = end % 2;
      const last = end - odd - 2;
      if (last < 0) return odd;
      const unit = this.#mode === "utf-16le"
        ? bytes[last] | (bytes[last + 1] << 8)
        : (bytes[last] << 8) | bytes[last + 1];
      return unit >= 0xd800 && unit <= 0xdbff ? odd + 2 : odd;
    }
    return 0;
  }

  // The byte order mark is skipped once, at the very start of the input.
  #strip(text: string): string {
    if (this.#started || text.length === 0) return text;
    this.#started = true;
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }
}
