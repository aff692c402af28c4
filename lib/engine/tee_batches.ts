// Splits one stream of batches into several consumers with backpressure: the
// source is pulled only when every active consumer has room, so memory stays
// at a couple of batches. A consumer that stops early no longer holds the
// others back; a source error reaches every consumer still reading.

const QUEUE_LIMIT = 2;

/** Returns `count` async iterables that each see every item of `source`. */
export function teeBatches<T>(
  source: AsyncIterable<T>,
  count: number,
): AsyncIterable<T>[] {
  const iterator = source[Symbol.asyncIterator]();
  const queues: T[][] = Array.from({ length: count }, () => []);
  const active: boolean[] = new Array(count).fill(true);
  let finished = false;
  let failure: { error: unknown } | undefined;
  let pulling: Promise<void> | undefined;
  let waiters: (() => void)[] = [];

  const notify = () => {
    const woken = waiters;
    waiters = [];
    for (const wake of woken) wake();
  };
  const changed = () => new Promise<void>((resolve) => waiters.push(resolve));
  const full = () =>
    queues.some((q, i) => active[i] && q.length >= QUEUE_LIMIT);

  async function pull() {
    try {
      const next = await iterator.next();
      if (next.done) finished = true;
      else queues.forEach((q, i) => active[i] && q.push(next.value));
    } catch (error) {
      failure = { error };
    }
  }

  function consumer(index: number): AsyncIterable<T> {
    return {
      [Symbol.asyncIterator]: () => ({
        async next(): Promise<IteratorResult<T>> {
          while (true) {
            const queue = queues[index];
            if (queue.length > 0) {
              const value = queue.shift()!;
              notify();
              return { value, done: false };
            }
            if (failure) throw failure.error;
            if (finished) return { value: undefined, done: true };
            if (pulling) {
              await pulling;
            } else if (full()) {
              await changed();
            } else {
              pulling = pull().finally(() => {
                pulling = undefined;
                notify();
              });
              await pulling;
            }
          }
        },
        async return(): Promise<IteratorResult<T>> {
          active[index] = false;
          queues[index].length = 0;
          notify();
          if (!active.some(Boolean) && !finished) {
            finished = true;
            await iterator.return?.();
          }
          return { value: undefined, done: true };
        },
      }),
    };
  }
  return queues.map((_, index) => consumer(index));
}
