import assert from "node:assert/strict";
import { csvConfigSchema } from "./config.ts";

Deno.test("csvConfigSchema fills in the defaults", () => {
  assert.deepEqual(csvConfigSchema.parse({ path: "/data/sales.csv" }), {
    path: "/data/sales.csv",
    delimiter: ",",
    quote: '"',
    header: true,
    encoding: "utf-8",
    inferTypes: true,
  });
});

Deno.test("csvConfigSchema accepts a tab delimiter and a latin1 file", () => {
  const config = csvConfigSchema.parse({
    path: "a.tsv",
    delimiter: "\t",
    encoding: "latin1",
    gzip: false,
    inferTypes: false,
  });
  assert.equal(config.delimiter, "\t");
  assert.equal(config.encoding, "latin1");
  assert.equal(config.gzip, false);
});

Deno.test("csvConfigSchema refuses bad delimiters, quotes and encodings", () => {
  const refused = [
    { path: "" },
    { path: "a.csv", delimiter: ";;" },
    { path: "a.csv", delimiter: "\n" },
    { path: "a.csv", quote: "," },
    { path: "a.csv", encoding: "klingon" },
  ];
  for (const input of refused) {
    assert.equal(
      csvConfigSchema.safeParse(input).success,
      false,
      JSON.stringify(input),
    );
  }
  const result = csvConfigSchema.safeParse({ path: "a", encoding: "x" });
  assert.match(result.error?.issues[0].message ?? "", /^Unknown encoding/);
});

Deno.test("csvConfigSchema describes every field", () => {
  for (const [name, field] of Object.entries(csvConfigSchema.shape)) {
    assert.ok(field.description, `${name} has a description`);
  }
});

Deno.test("csvConfigSchema takes either a path or an http(s) url", () => {
  const url = csvConfigSchema.parse({
    url: "https://example.com/orders.json?page=1",
    format: "json",
    records_path: "data.items",
    timeout_seconds: 5,
  });
  assert.equal(url.url, "https://example.com/orders.json?page=1");
  assert.equal(url.records_path, "data.items");
  const refused = [
    {},
    { path: "a.csv", url: "https://example.com/a.csv" },
    { url: "file:///etc/passwd" },
    { url: "not a url" },
    { path: "a.json", format: "xml" },
    { path: "a.json", records_path: "data..items" },
    { url: "https://example.com/a.csv", timeout_seconds: 0 },
  ];
  for (const input of refused) {
    assert.equal(
      csvConfigSchema.safeParse(input).success,
      false,
      JSON.stringify(input),
    );
  }
  const neither = csvConfigSchema.safeParse({});
  assert.equal(neither.error?.issues[0].message, "Give either a path or a url");
});
