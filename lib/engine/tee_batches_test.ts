import assert from "node:assert/strict";
import { teeBatches } from "./tee_batches.ts";

async function* numbers(count: number, failAt?: number) {
  for (let i = 0; i < count; i++) {
    if (i === failAt) throw new Error(`source failed at ${i}`);
    yield i;
  }
}

Deno.test("teeBatches() gives every consumer every item in order", async () => {
  const [a, b] = teeBatches(numbers(50), 2);
  const [left, right] = await Promise.all([
    Array.fromAsync(a),
    Array.fromAsync(b),
  ]);
  assert.deepEqual(left, [...Array(50).keys()]);
  assert.deepEqual(right, left);
});

Deno.test("teeBatches() never lets a fast consumer run more than a few items ahead", async () => {
  let pulled = 0;
  async function* counted() {
    for (let i = 0; i < 100; i++) {
      pulled++;
      yield i;
    }
  }
  const [fast, slow] = teeBatches(counted(), 2);
  const fastIterator = fast[Symbol.asyncIterator]();
  const slowIterator = slow[Symbol.asyncIterator]();
  await slowIterator.next();
  const reading = (async () => {
    for (let i = 0; i < 10; i++) await fastIterator.next();
  })();
  await new Promise((resolve) => setTimeout(resolve, 20));
  // The slow consumer took one item: the source can be at most the queue limit ahead.
  assert.ok(pulled <= 4, `pulled ${pulled}`);
  await Promise.all([
    reading.then(() => fastIterator.return!()),
    (async () => {
      for (let i = 0; i < 20; i++) await slowIterator.next();
    })(),
  ]);
});

Deno.test("teeBatches() sends a source error to every consumer", async () => {
  const [a, b] = teeBatches(numbers(10, 5), 2);
  // Consumers read side by side, as the engine's stager and loader do.
  const [left, right] = await Promise.allSettled([
    Array.fromAsync(a),
    Array.fromAsync(b),
  ]);
  assert.equal(left.status, "rejected");
  assert.equal(right.status, "rejected");
  assert.match(
    String((left as PromiseRejectedResult).reason),
    /source failed at 5/,
  );
  assert.match(
    String((right as PromiseRejectedResult).reason),
    /source failed at 5/,
  );
});

Deno.test("teeBatches() lets the other consumer finish when one stops early", async () => {
  const [a, b] = teeBatches(numbers(30), 2);
  const stopper = (async () => {
    for await (const item of a) {
      if (item === 3) break;
    }
  })();
  const all = await Array.fromAsync(b);
  await stopper;
  assert.equal(all.length, 30);
});
