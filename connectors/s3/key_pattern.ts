// Which objects a read means: one key, every key under a prefix, or the keys a
// glob matches. S3 only lists by literal prefix, so a glob lists its longest
// literal prefix and filters the keys with a regular expression.

/** The objects a read path names, and the prefix to list them with. */
export interface KeyPattern {
  kind: "key" | "prefix" | "glob";
  /** What to pass as `Prefix` to ListObjectsV2. */
  listPrefix: string;
  /** Whether `key` is one of the objects meant. */
  matches(key: string): boolean;
}

const GLOB_CHARACTERS = /(?<!\\)[*?]/;

/**
 * Reads `path` as a glob when it contains `*` or `?` (a backslash escapes
 * them), as a prefix when it ends in `/` (or is empty), else as one key.
 */
export function keyPattern(path: string): KeyPattern {
  if (GLOB_CHARACTERS.test(path)) {
    const regexp = globToRegExp(path);
    return {
      kind: "glob",
      listPrefix: literalPrefix(path),
      matches: (key) => regexp.test(key),
    };
  }
  const literal = unescape(path);
  if (literal === "" || literal.endsWith("/")) {
    return {
      kind: "prefix",
      listPrefix: literal,
      matches: (key) => key.startsWith(literal),
    };
  }
  return {
    kind: "key",
    listPrefix: literal,
    matches: (key) => key === literal,
  };
}

/**
 * Compiles a glob over object keys: `*` matches within one folder, `**`
 * across folders (`a/**\/b` also matches `a/b`), `?` one character other
 * than `/`, `\` escapes the next character. The whole key must match.
 */
export function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i];
    if (char === "\\" && i + 1 < glob.length) {
      source += escapeRegExp(glob[++i]);
    } else if (char === "*" && glob[i + 1] === "*") {
      i++;
      if (glob[i + 1] === "/") {
        i++;
        source += "(?:.*/)?";
      } else {
        source += ".*";
      }
    } else if (char === "*") {
      source += "[^/]*";
    } else if (char === "?") {
      source += "[^/]";
    } else {
      source += escapeRegExp(char);
    }
  }
  return new RegExp(`^${source}$`, "s");
}

/** The part of `glob` before its first wildcard, unescaped. */
export function literalPrefix(glob: string): string {
  const match = GLOB_CHARACTERS.exec(glob);
  return unescape(match ? glob.slice(0, match.index) : glob);
}

function unescape(text: string): string {
  return text.replace(/\\(.)/gs, "$1");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
