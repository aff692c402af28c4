// The CSV the csv_to_pg benchmark loads: deterministic rows streamed to disk
// in chunks, so a file of any size never sits in memory.

/** Header of the benchmark CSV. */
export const BENCH_CSV_COLUMNS = [
  "id",
  "name",
  "amount",
  "created_at",
  "category",
  "flag",
] as const;

/** The PostgreSQL column types of the benchmark CSV, in column order. */
export const BENCH_CSV_TYPES = [
  "bigint",
  "text",
  "numeric",
  "timestamptz",
  "text",
  "boolean",
] as const;

const CATEGORIES = [
  "books",
  "electronics",
  "garden",
  "grocery",
  "health",
  "home",
  "music",
  "sports",
  "toys",
  "travel",
];
const FIRST = [
  "Ada",
  "Grace",
  "Alan",
  "Edsger",
  "Barbara",
  "Ken",
  "Zoë",
  "José",
  "Linus",
  "Margaret",
];
const LAST = [
  "Lovelace",
  "Hopper",
  "Turing",
  "Dijkstra",
  "Liskov",
  "Thompson",
  "Ørsted",
  "Núñez",
  "Torvalds",
  "Hamilton",
];
const NICK = ["Bug", "Doc", "Ace", "Chip", "Max"];
const ZONES = [
  { text: "Z", minutes: 0 },
  { text: "+00:00", minutes: 0 },
  { text: "+02:00", minutes: 120 },
  { text: "-05:00", minutes: -300 },
  { text: "+05:30", minutes: 330 },
  { text: "+09:00", minutes: 540 },
];
const START_MS = Date.UTC(2024, 0, 1);
const SPAN_MS = 2 * 365 * 24 * 3600 * 1000;
const CHUNK_ROWS = 10_000;

/** Options for {@linkcode writeBenchCsv}. */
export interface WriteBenchCsvOptions {
  /** Seed of the pseudo-random generator (same seed, same file). */
  seed?: number;
}

/** A small seeded PRNG (mulberry32): reproducible files without a dependency. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Quotes a CSV field when it holds a delimiter, a quote or a line break (RFC 4180). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)];
}

// About 15% of names hold a comma and 10% hold quotes, so the loaders must
// honour CSV quoting rather than split on commas.
function name(next: () => number): string {
  const first = pick(next, FIRST);
  const last = pick(next, LAST);
  const form = next();
  if (form < 0.15) return `${last}, ${first}`;
  if (form < 0.25) return `${first} "${pick(next, NICK)}" ${last}`;
  return `${first} ${last}`;
}

function timestamp(next: () => number): string {
  const utc = START_MS + Math.floor(next() * SPAN_MS);
  const zone = pick(next, ZONES);
  const local = new Date(utc + zone.minutes * 60_000).toISOString();
  return local.slice(0, -1) + zone.text;
}

/** One CSV line (with its newline) of row `id`. */
function line(id: number, next: () => number): string {
  const amount = (next() * 20_000 - 1_000).toFixed(2);
  return `${id},${csvField(name(next))},${amount},${timestamp(next)},${
    pick(next, CATEGORIES)
  },${next() < 0.5}\n`;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += await file.write(bytes.subarray(written));
  }
}

/**
 * Writes a CSV of `rows` rows (header `id,name,amount,created_at,category,flag`)
 * to `path`, chunk by chunk; returns the file size in bytes.
 */
export async function writeBenchCsv(
  path: string,
  rows: number,
  options: WriteBenchCsvOptions = {},
): Promise<number> {
  const next = random(options.seed ?? 42);
  const encoder = new TextEncoder();
  using file = await Deno.open(path, {
    write: true,
    create: true,
    truncate: true,
  });
  let bytes = 0;
  let chunk = BENCH_CSV_COLUMNS.join(",") + "\n";
  for (let id = 1; id <= rows; id++) {
    chunk += line(id, next);
    if (id % CHUNK_ROWS === 0 || id === rows) {
      const encoded = encoder.encode(chunk);
      await writeAll(file, encoded);
      bytes += encoded.length;
      chunk = "";
    }
  }
  if (chunk) {
    const encoded = encoder.encode(chunk);
    await writeAll(file, encoded);
    bytes += encoded.length;
  }
  return bytes;
}
