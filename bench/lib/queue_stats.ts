// Small shared pieces of the queue benchmark: a drain's result, percentiles,
// and waiting for a condition without a fixed sleep dominating the figure.

/** One drain of N jobs. */
export interface DrainResult {
  jobs: number;
  /** From starting the worker to the last job finished in the database. */
  seconds: number;
  jobsPerSecond: number;
  /** Time to enqueue the N jobs with one batched call. */
  enqueueSeconds: number;
}

/** The `p`-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Resolves once `check` returns true, asking every `everyMs` (default 2). */
export async function until(
  check: () => Promise<boolean>,
  { everyMs = 2, timeoutMs = 10 * 60_000 } = {},
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) {
      throw new Error(`Gave up waiting after ${timeoutMs / 1000} s`);
    }
    await new Promise((done) => setTimeout(done, everyMs));
  }
}
