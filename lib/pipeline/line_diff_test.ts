import assert from "node:assert/strict";
import { diffLines, unifiedDiff } from "./line_diff.ts";

const labels = { fromLabel: "p@v1", toLabel: "p@v2" };
const lines = (...items: string[]) => items.map((s) => s + "\n").join("");

Deno.test("unifiedDiff() of equal texts is empty", () => {
  assert.equal(unifiedDiff("a\nb\n", "a\nb\n", labels), "");
  assert.equal(unifiedDiff("", "", labels), "");
});

Deno.test("unifiedDiff() shows an added line with three lines of context", () => {
  const from = lines("1", "2", "3", "4", "5", "6", "7", "8");
  const to = lines("1", "2", "3", "4", "new", "5", "6", "7", "8");
  assert.equal(
    unifiedDiff(from, to, labels),
    [
      "--- p@v1",
      "+++ p@v2",
      "@@ -2,6 +2,7 @@",
      " 2",
      " 3",
      " 4",
      "+new",
      " 5",
      " 6",
      " 7",
      "",
    ].join("\n"),
  );
});

Deno.test("unifiedDiff() shows a removed line", () => {
  assert.equal(
    unifiedDiff(lines("a", "b", "c"), lines("a", "c"), labels),
    "--- p@v1\n+++ p@v2\n@@ -1,3 +1,2 @@\n a\n-b\n c\n",
  );
});

Deno.test("unifiedDiff() shows a changed line as removed then added", () => {
  assert.equal(
    unifiedDiff(
      lines("name: p", "steps:", "  - id: load", "    mode: append"),
      lines("name: p", "steps:", "  - id: load", "    mode: replace"),
      labels,
    ),
    [
      "--- p@v1",
      "+++ p@v2",
      "@@ -1,4 +1,4 @@",
      " name: p",
      " steps:",
      "   - id: load",
      "-    mode: append",
      "+    mode: replace",
      "",
    ].join("\n"),
  );
});

Deno.test("unifiedDiff() writes one-line and empty ranges as diff -u does", () => {
  assert.equal(
    unifiedDiff("", "a\n", labels),
    "--- p@v1\n+++ p@v2\n@@ -0,0 +1 @@\n+a\n",
  );
  assert.equal(
    unifiedDiff("a\n", "", labels),
    "--- p@v1\n+++ p@v2\n@@ -1 +0,0 @@\n-a\n",
  );
  assert.equal(
    unifiedDiff("a\n", "b\n", labels),
    "--- p@v1\n+++ p@v2\n@@ -1 +1 @@\n-a\n+b\n",
  );
});

Deno.test("unifiedDiff() splits far-apart changes into hunks and merges close ones", () => {
  const from = Array.from({ length: 20 }, (_, i) => `l${i + 1}`);
  const far = [...from];
  far[1] = "X";
  far[18] = "Y";
  assert.equal(
    unifiedDiff(lines(...from), lines(...far), labels),
    [
      "--- p@v1",
      "+++ p@v2",
      "@@ -1,5 +1,5 @@",
      " l1",
      "-l2",
      "+X",
      " l3",
      " l4",
      " l5",
      "@@ -16,5 +16,5 @@",
      " l16",
      " l17",
      " l18",
      "-l19",
      "+Y",
      " l20",
      "",
    ].join("\n"),
  );
  // Six unchanged lines between two changes: still one hunk.
  const close = [...from];
  close[4] = "X";
  close[11] = "Y";
  const diff = unifiedDiff(lines(...from), lines(...close), labels);
  assert.equal(diff.split("\n").filter((l) => l.startsWith("@@")).length, 1);
  assert.match(diff, /^@@ -2,14 \+2,14 @@$/m);
  // Seven: two hunks.
  const apart = [...from];
  apart[4] = "X";
  apart[12] = "Y";
  const two = unifiedDiff(lines(...from), lines(...apart), labels);
  assert.equal(two.split("\n").filter((l) => l.startsWith("@@")).length, 2);
});

Deno.test("unifiedDiff() honours a context option", () => {
  assert.equal(
    unifiedDiff(lines("a", "b", "c"), lines("a", "B", "c"), {
      ...labels,
      context: 0,
    }),
    "--- p@v1\n+++ p@v2\n@@ -2 +2 @@\n-b\n+B\n",
  );
});

Deno.test("diffLines() finds a shortest edit script that rebuilds both sides", () => {
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = (n: number) =>
    Array.from({ length: n }, () => "abcd"[Math.floor(random() * 4)]);
  for (let i = 0; i < 300; i++) {
    const a = pick(Math.floor(random() * 12));
    const b = pick(Math.floor(random() * 12));
    const script = diffLines(a, b);
    assert.deepEqual(script.filter((l) => l.op !== "+").map((l) => l.text), a);
    assert.deepEqual(script.filter((l) => l.op !== "-").map((l) => l.text), b);
    // Shortest: the kept lines are a longest common subsequence.
    const kept = script.filter((l) => l.op === " ").length;
    assert.equal(kept, lcsLength(a, b), `${a.join("")} → ${b.join("")}`);
  }
});

function lcsLength(a: string[], b: string[]): number {
  const row = new Array(b.length + 1).fill(0);
  for (const x of a) {
    let diagonal = 0;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = x === b[j - 1] ? diagonal + 1 : Math.max(row[j], row[j - 1]);
      diagonal = above;
    }
  }
  return row[b.length];
}
