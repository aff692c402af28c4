import assert from "node:assert/strict";
import { pull, readSql, withCursor } from "./pg_reader.ts";

Deno.test("readSql() selects a table of the schema or runs a query without its semicolon", () => {
  assert.equal(
    readSql({ table: 'my"t' }, "warehouse"),
    'select * from "warehouse"."my""t"',
  );
  assert.equal(readSql({ query: " select 1; \n" }, "public"), "select 1");
  assert.throws(
    () => readSql({ table: "a", query: "select 1" }, "public"),
    /not both/,
  );
});

Deno.test("pull() lets the producer run at most one value ahead", async () => {
  const produced: number[] = [];
  const values = pull<number>(async (emit) => {
    for (let i = 0; i < 5; i++) {
      produced.push(i);
      if (!await emit(i)) return;
    }
  });
  const seen: number[] = [];
  for await (const value of values) {
    seen.push(value);
    assert.equal(produced.length, seen.length);
    if (value === 2) break;
  }
  assert.deepEqual(seen, [0, 1, 2]);
  assert.deepEqual(produced, [0, 1, 2]);
});

Deno.test("pull() rethrows the producer's error after the values before it", async () => {
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (
      const value of pull<number>(async (emit) => {
        await emit(1);
        throw new Error("boom");
      })
    ) seen.push(value);
  }, /boom/);
  assert.deepEqual(seen, [1]);
});

Deno.test("withCursor() numbers the cursor's value after the query's own params", () => {
  assert.deepEqual(
    withCursor("select * from t where day = $1", { field: "id", after: 7 }, [
      "2026-01-02",
    ]),
    {
      text:
        'select * from (select * from t where day = $1) q where q."id" > $2 order by q."id"',
      params: ["2026-01-02", "7"],
    },
  );
  assert.deepEqual(withCursor("select 1", undefined, [1]), {
    text: "select 1",
    params: [1],
  });
});
