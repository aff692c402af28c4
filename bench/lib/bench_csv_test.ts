import assert from "node:assert/strict";
import { BENCH_CSV_COLUMNS, csvField, writeBenchCsv } from "./bench_csv.ts";

// RFC 4180 fields of one line without line breaks inside quotes.
function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = "";
      i++;
      while (true) {
        const end = line.indexOf('"', i);
        assert.notEqual(end, -1, `unterminated quote in ${line}`);
        value += line.slice(i, end);
        if (line[end + 1] === '"') {
          value += '"';
          i = end + 2;
        } else {
          i = end + 1;
          break;
        }
      }
      fields.push(value);
      assert.ok(
        i === line.length || line[i] === ",",
        `junk after quote in ${line}`,
      );
      i++;
    } else {
      const end = line.indexOf(",", i);
      const stop = end === -1 ? line.length : end;
      fields.push(line.slice(i, stop));
      i = stop + 1;
    }
  }
  return fields;
}

Deno.test("csvField() quotes only fields with commas, quotes or line breaks", () => {
  assert.equal(csvField("Ada Lovelace"), "Ada Lovelace");
  assert.equal(csvField("Lovelace, Ada"), '"Lovelace, Ada"');
  assert.equal(csvField('Ada "Ace" Lovelace'), '"Ada ""Ace"" Lovelace"');
});

Deno.test("writeBenchCsv() writes the header and N well-formed, typed rows", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/bench.csv`;
    const bytes = await writeBenchCsv(path, 25_001);
    const text = await Deno.readTextFile(path);
    assert.equal(new TextEncoder().encode(text).length, bytes);
    const lines = text.split("\n");
    assert.equal(lines.pop(), "");
    assert.equal(lines[0], BENCH_CSV_COLUMNS.join(","));
    assert.equal(lines.length, 25_002);
    const categories = new Set<string>();
    let commas = 0;
    let quotes = 0;
    lines.slice(1).forEach((line, index) => {
      const [id, name, amount, createdAt, category, flag, ...rest] =
        splitCsvLine(line);
      assert.deepEqual(rest, []);
      assert.equal(id, String(index + 1));
      assert.match(amount, /^-?\d+\.\d{2}$/);
      assert.match(
        createdAt,
        /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(Z|[+-]\d{2}:\d{2})$/,
      );
      assert.ok(!Number.isNaN(Date.parse(createdAt)), createdAt);
      assert.match(flag, /^(true|false)$/);
      categories.add(category);
      if (name.includes(",")) commas++;
      if (name.includes('"')) quotes++;
    });
    assert.equal(categories.size, 10);
    assert.ok(
      commas > 1_000 && quotes > 1_000,
      `${commas} names with commas, ${quotes} with quotes`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeBenchCsv() writes the same file for the same seed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await writeBenchCsv(`${dir}/a.csv`, 1_000);
    await writeBenchCsv(`${dir}/b.csv`, 1_000);
    await writeBenchCsv(`${dir}/c.csv`, 1_000, { seed: 7 });
    const [a, b, c] = await Promise.all(
      ["a", "b", "c"].map((name) => Deno.readTextFile(`${dir}/${name}.csv`)),
    );
    assert.equal(a, b);
    assert.notEqual(a, c);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
