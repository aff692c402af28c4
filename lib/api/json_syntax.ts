// Where a JSON text first goes wrong. V8's JSON.parse messages carry no
// position we can rely on (and quote the text, which may hold secrets), so
// request bodies and pipeline files are checked here to point at a line.

/** The first JSON syntax error (offset and message), or null; nesting past `maxDepth` counts as one. */
export function jsonSyntaxError(
  text: string,
  maxDepth = 64,
): { offset: number; message: string } | null {
  let i = 0;
  class Stop {
    constructor(readonly offset: number, readonly message: string) {}
  }
  const fail = (message: string, offset = i): never => {
    throw new Stop(offset, message);
  };
  const space = () => {
    while (i < text.length && " \t\n\r".includes(text[i])) i++;
  };
  const found = () =>
    i >= text.length ? "end of text" : `"${text[i].replace(/"/g, '\\"')}"`;
  const string = () => {
    i++; // the opening quote
    while (true) {
      if (i >= text.length) fail("unterminated string");
      const c = text.charCodeAt(i);
      if (c === 34) break; // "
      if (c < 32) fail("control character in string: escape it");
      if (c === 92) { // backslash
        const e = text[i + 1] ?? "";
        if (e === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            fail("invalid \\u escape: expected 4 hex digits");
          }
          i += 6;
          continue;
        }
        if (!'"\\/bfnrt'.includes(e) || e === "") {
          fail(`invalid escape "\\${e}"`);
        }
        i += 2;
        continue;
      }
      i++;
    }
    i++; // the closing quote
  };
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const value = (depth: number): void => {
    space();
    const c = text[i];
    if (c === "{" || c === "[") {
      if (depth >= maxDepth) {
        fail(`document nests deeper than ${maxDepth} levels`);
      }
      const close = c === "{" ? "}" : "]";
      i++;
      space();
      if (text[i] === close) {
        i++;
        return;
      }
      while (true) {
        if (close === "}") {
          space();
          if (text[i] !== '"') {
            fail(`expected a double-quoted property name, found ${found()}`);
          }
          string();
          space();
          if (text[i] !== ":") fail(`expected ":", found ${found()}`);
          i++;
        }
        value(depth + 1);
        space();
        if (text[i] === ",") {
          i++;
          space();
          if (text[i] === close) fail(`trailing comma before "${close}"`);
          continue;
        }
        if (text[i] === close) {
          i++;
          return;
        }
        fail(`expected "," or "${close}", found ${found()}`);
      }
    }
    if (c === '"') return string();
    for (const literal of ["true", "false", "null"]) {
      if (text.startsWith(literal, i)) {
        i += literal.length;
        return;
      }
    }
    NUMBER.lastIndex = i;
    if (NUMBER.test(text) && NUMBER.lastIndex > i) {
      i = NUMBER.lastIndex;
      return;
    }
    fail(`expected a JSON value, found ${found()}`);
  };
  try {
    value(0);
    space();
    if (i < text.length) fail(`unexpected ${found()} after the JSON value`);
    return null;
  } catch (error) {
    if (error instanceof Stop) {
      return { offset: error.offset, message: error.message };
    }
    throw error;
  }
}

/** 1-based line and column of a character offset in `text`. */
export function textPosition(
  text: string,
  offset: number,
): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/** Offset (in bytes) of the first byte that is not valid UTF-8, or -1. */
export function invalidUtf8Offset(bytes: Uint8Array): number {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  try {
    decoder.decode(bytes);
    return -1;
  } catch {
    // Binary search the longest valid prefix (a cut inside a character
    // counts as invalid, so the answer is the start of the bad sequence).
    let lo = 0;
    let hi = bytes.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(
          bytes.subarray(0, mid),
        );
        lo = mid;
      } catch {
        hi = mid - 1;
      }
    }
    // lo is a valid prefix; step back over a partial character at its end.
    return lo;
  }
}
