// COPY … FROM STDIN on postgres.js, shared by the platform's database and
// the PostgreSQL connector's pools.

import type postgres from "postgres";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/**
 * Runs `COPY … FROM STDIN` on postgres.js, fed by `source`. Works around
 * porsager/postgres#1173: when the server rejects the data after the last
 * chunk was sent, postgres.js never settles the writable, so a plain
 * `pipeline()` hangs and the error is lost. The server's error still reaches
 * the query's `reject`, so it is caught there and raced with the pipeline.
 */
export async function copyIn(
  sql: postgres.Sql | postgres.TransactionSql,
  text: string,
  source: AsyncIterable<string | Uint8Array>,
): Promise<void> {
  const query = sql.unsafe(text);
  const settle = query as unknown as { reject: (error: unknown) => void };
  const original = settle.reject;
  const failed = new Promise<never>((_, reject) => {
    settle.reject = (error) => {
      reject(error);
      original(error);
    };
  });
  failed.catch(() => {}); // Raced below; unobserved when the copy succeeds.
  const writable = await query.writable();
  const readable = Readable.from(source, { objectMode: false });
  const copied = pipeline(readable, writable);
  try {
    await Promise.race([copied, failed]);
  } catch (error) {
    // The server failed first: stop the source (its generator returns) and
    // settle the stream, which postgres.js left pending.
    readable.destroy();
    writable.destroy();
    await copied.catch(() => {});
    throw error;
  }
}
