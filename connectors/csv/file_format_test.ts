import assert from "node:assert/strict";
import {
  formatOfContentType,
  formatOfName,
  shownUrl,
  tableNameOf,
} from "./file_format.ts";

Deno.test("formatOfName() reads the extension, looking through .gz", () => {
  const cases: [string, string | undefined][] = [
    ["/data/sales.csv", "csv"],
    ["sales.TSV", "csv"],
    ["events.ndjson.gz", "ndjson"],
    ["events.jsonl", "ndjson"],
    ["orders.json", "json"],
    ["https://x.test/api/orders.json?page=2", "json"],
    ["https://x.test/api/orders?format=.json", undefined],
    ["archive.gz", undefined],
    ["export", undefined],
  ];
  for (const [name, format] of cases) {
    assert.equal(formatOfName(name), format, name);
  }
});

Deno.test("formatOfContentType() ignores parameters and unknown types", () => {
  assert.equal(formatOfContentType("application/json; charset=utf-8"), "json");
  assert.equal(formatOfContentType("application/x-ndjson"), "ndjson");
  assert.equal(formatOfContentType("text/csv"), "csv");
  assert.equal(formatOfContentType("text/html"), undefined);
  assert.equal(formatOfContentType(null), undefined);
});

Deno.test("tableNameOf() drops the folders, the query and the extensions", () => {
  assert.equal(tableNameOf("/srv/sales.csv.gz"), "sales");
  assert.equal(tableNameOf("https://x.test/v1/orders.ndjson?page=2"), "orders");
  assert.equal(tableNameOf("https://x.test/"), "download");
  assert.equal(tableNameOf(".json"), ".json");
});

Deno.test("shownUrl() hides credentials, the query and the fragment", () => {
  assert.equal(
    shownUrl("https://user:pw@x.test/a.json?sig=abc#top"),
    "https://x.test/a.json?…",
  );
  assert.equal(
    shownUrl("http://x.test:8080/a.csv"),
    "http://x.test:8080/a.csv",
  );
});
