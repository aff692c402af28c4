// A line diff (Myers' O(ND) algorithm) and its unified-diff text, as
// `diff -u` prints it: `---`/`+++` headers, `@@` hunks with context lines.
// Used to show what changed between two versions of a pipeline.

/** One line of an edit script: kept (" "), removed ("-") or added ("+"). */
export interface DiffLine {
  op: " " | "-" | "+";
  text: string;
}

/** The shortest edit script turning `a` into `b`; removals before additions. */
export function diffLines(
  a: readonly string[],
  b: readonly string[],
): DiffLine[] {
  // Common ends cost nothing to keep and shrink the search.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) {
    start++;
  }
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const keep = (text: string): DiffLine => ({ op: " ", text });
  return [
    ...a.slice(0, start).map(keep),
    ...myers(a.slice(start, endA), b.slice(start, endB)),
    ...a.slice(endA).map(keep),
  ];
}

function myers(a: readonly string[], b: readonly string[]): DiffLine[] {
  const n = a.length;
  const m = b.length;
  if (n === 0) return b.map((text) => ({ op: "+", text }));
  if (m === 0) return a.map((text) => ({ op: "-", text }));
  const max = n + m;
  // v[k + max]: the furthest x reached on diagonal k (y = x - k).
  const v = new Int32Array(2 * max + 2);
  // trace[d]: v's diagonals -d..d after round d, to walk the path back.
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    for (let k = -d; k <= d; k += 2) {
      // Prefer moving right (a removal) so "-" lines come before "+" lines.
      let x = k === -d || (k !== d && v[max + k - 1] < v[max + k + 1])
        ? v[max + k + 1]
        : v[max + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[max + k] = x;
      if (x >= n && y >= m) found = d;
    }
    trace.push(v.slice(max - d, max + d + 1));
  }
  const out: DiffLine[] = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const previous = trace[d - 1];
    const at = (k: number) => previous[k + d - 1];
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1))
      ? k + 1
      : k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      out.push({ op: " ", text: a[--x] });
      y--;
    }
    if (x > prevX) out.push({ op: "-", text: a[--x] });
    else out.push({ op: "+", text: b[--y] });
  }
  while (x > 0) {
    out.push({ op: " ", text: a[--x] });
  }
  return out.reverse();
}

/** Options of {@linkcode unifiedDiff}. */
export interface UnifiedDiffOptions {
  /** The `---` header, e.g. `daily_sales@v1`. */
  fromLabel: string;
  /** The `+++` header, e.g. `daily_sales@v2`. */
  toLabel: string;
  /** Unchanged lines shown around each change (default 3). */
  context?: number;
}

/**
 * The unified diff of two texts (lines split on "\n"; a final newline ends
 * the last line), or "" when they are equal.
 */
export function unifiedDiff(
  from: string,
  to: string,
  options: UnifiedDiffOptions,
): string {
  const script = diffLines(splitLines(from), splitLines(to));
  const changes = script.flatMap((line, i) => line.op === " " ? [] : [i]);
  if (changes.length === 0) return "";
  const context = options.context ?? 3;
  const out = [`--- ${options.fromLabel}`, `+++ ${options.toLabel}`];
  // Changes closer than two contexts apart share a hunk.
  let first = 0;
  while (first < changes.length) {
    let last = first;
    while (
      last + 1 < changes.length &&
      changes[last + 1] - changes[last] - 1 <= 2 * context
    ) last++;
    const begin = Math.max(0, changes[first] - context);
    const end = Math.min(script.length, changes[last] + context + 1);
    out.push(hunkHeader(script, begin, end));
    for (let i = begin; i < end; i++) {
      out.push(script[i].op + script[i].text);
    }
    first = last + 1;
  }
  return out.join("\n") + "\n";
}

function hunkHeader(script: DiffLine[], begin: number, end: number): string {
  const count = (from: number, to: number, skip: DiffLine["op"]) =>
    script.slice(from, to).filter((line) => line.op !== skip).length;
  const range = (start: number, length: number) =>
    length === 0
      ? `${start - 1},0`
      : length === 1
      ? `${start}`
      : `${start},${length}`;
  const oldStart = count(0, begin, "+") + 1;
  const newStart = count(0, begin, "-") + 1;
  return `@@ -${range(oldStart, count(begin, end, "+"))} +${
    range(newStart, count(begin, end, "-"))
  } @@`;
}

function splitLines(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}
