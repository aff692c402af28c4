// Throughput of parseCsv() on the benchmark's row shape (id, name, amount,
// created_at, category, flag). As a script it prints rows/s for a generated
// file: `deno run --allow-all connectors/csv/parse_csv_bench.ts [rows]`.

import { parseCsv } from "./parse_csv.ts";

const CATEGORIES = ["books", "garden", "toys", "food", "tools", "music"];

/** Writes a CSV of `rows` rows of the benchmark shape to `path`. */
export async function writeBenchCsv(path: string, rows: number): Promise<void> {
  using file = await Deno.open(path, {
    write: true,
    create: true,
    truncate: true,
  });
  const encoder = new TextEncoder();
  let text = "id,name,amount,created_at,category,flag\n";
  const start = Date.UTC(2024, 0, 1);
  for (let i = 1; i <= rows; i++) {
    const created = new Date(start + i * 37_000).toISOString();
    const name = i % 50 === 0 ? `"Customer ${i}, Ltd"` : `Customer ${i}`;
    const amount = i % 97 === 0 ? "" : ((i * 7919) % 100_000 / 100).toFixed(2);
    text += `${i},${name},${amount},${created},${
      CATEGORIES[i % CATEGORIES.length]
    },${i % 3 === 0}\n`;
    if (text.length > 1 << 20) {
      await file.write(encoder.encode(text));
      text = "";
    }
  }
  await file.write(encoder.encode(text));
}

/** Parses the file at `path` and returns the number of rows read. */
export async function countRows(path: string): Promise<number> {
  const file = await Deno.open(path);
  let rows = 0;
  for await (const batch of parseCsv(file.readable)) rows += batch.rows.length;
  return rows;
}

const BENCH_ROWS = 100_000;
let benchPath: string | undefined;

Deno.bench(`parseCsv() ${BENCH_ROWS} rows`, async (b) => {
  if (benchPath === undefined) {
    benchPath = await Deno.makeTempFile({ suffix: ".csv" });
    await writeBenchCsv(benchPath, BENCH_ROWS);
  }
  b.start();
  await countRows(benchPath);
  b.end();
});

if (import.meta.main) {
  const rows = Number(Deno.args[0] ?? 1_000_000);
  const path = await Deno.makeTempFile({ suffix: ".csv" });
  try {
    await writeBenchCsv(path, rows);
    const size = (await Deno.stat(path)).size;
    await countRows(path); // warm up
    const runs: number[] = [];
    for (let run = 0; run < 5; run++) {
      const started = performance.now();
      const read = await countRows(path);
      const seconds = (performance.now() - started) / 1000;
      if (read !== rows) throw new Error(`Read ${read} rows, expected ${rows}`);
      runs.push(rows / seconds);
    }
    const best = Math.max(...runs);
    const median = runs.toSorted((a, b) => a - b)[runs.length >> 1];
    console.log(
      `${rows} rows (${(size / 1e6).toFixed(1)} MB): median ${
        Math.round(median).toLocaleString("en")
      } rows/s, best ${Math.round(best).toLocaleString("en")} rows/s, ${
        (best * size / rows / 1e6).toFixed(0)
      } MB/s; runs ${
        runs.map((r) => Math.round(r).toLocaleString("en")).join(", ")
      }`,
    );
  } finally {
    await Deno.remove(path);
  }
}
