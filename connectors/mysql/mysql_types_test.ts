import assert from "node:assert/strict";
import {
  columnTypeFromMysql,
  columnTypeOfField,
  type MysqlField,
  mysqlTypeOf,
  rowConverter,
  toMysqlValue,
} from "./mysql_types.ts";

const field = (columnType: number, extra: Partial<MysqlField> = {}) => ({
  name: "c",
  columnType,
  columnLength: 11,
  flags: 0,
  characterSet: 45,
  ...extra,
});

Deno.test("columnTypeFromMysql() maps information_schema types", () => {
  assert.equal(columnTypeFromMysql("tinyint", "tinyint(1)"), "boolean");
  assert.equal(columnTypeFromMysql("tinyint", "tinyint(4)"), "bigint");
  assert.equal(columnTypeFromMysql("bigint", "bigint(20) unsigned"), "numeric");
  assert.equal(columnTypeFromMysql("decimal", "decimal(12,2)"), "numeric");
  assert.equal(columnTypeFromMysql("timestamp", "timestamp"), "timestamptz");
  assert.equal(columnTypeFromMysql("longtext", "longtext", true), "json");
  assert.equal(columnTypeFromMysql("enum", "enum('a','b')"), "text");
});

Deno.test("columnTypeOfField() maps result metadata, tinyint(1) and MariaDB's JSON", () => {
  assert.equal(columnTypeOfField(field(1, { columnLength: 1 })), "boolean");
  assert.equal(columnTypeOfField(field(1, { columnLength: 4 })), "bigint");
  assert.equal(columnTypeOfField(field(8, { flags: 32 })), "numeric");
  assert.equal(columnTypeOfField(field(246)), "numeric");
  assert.equal(columnTypeOfField(field(10)), "date");
  assert.equal(
    columnTypeOfField(field(252, { extendedFormat: "json" })),
    "json",
  );
  assert.equal(columnTypeOfField(field(253)), "text");
});

Deno.test("rowConverter() turns tinyint(1) into booleans and binary into hex text", () => {
  const convert = rowConverter([
    field(1, { columnLength: 1 }),
    field(252, { characterSet: 63 }),
    field(253),
  ]);
  const rows = [[1, new Uint8Array([0, 255]), "x"], [null, null, null]];
  convert!(rows);
  assert.deepEqual(rows, [[true, "\\x00ff", "x"], [null, null, null]]);
  assert.equal(rowConverter([field(253), field(246)]), undefined);
});

Deno.test("mysqlTypeOf() gives key text columns an indexable type", () => {
  assert.equal(mysqlTypeOf("text"), "longtext");
  assert.equal(mysqlTypeOf("text", { key: true }), "varchar(255)");
  assert.equal(mysqlTypeOf("timestamptz"), "datetime(6)");
});

Deno.test("toMysqlValue() adapts text from text sources where MySQL would reject it", () => {
  assert.equal(toMysqlValue("boolean")("TRUE"), 1);
  assert.equal(toMysqlValue("boolean")("f"), 0);
  assert.deepEqual(
    toMysqlValue("timestamptz")("2024-01-02T03:04:05Z"),
    new Date("2024-01-02T03:04:05Z"),
  );
  assert.equal(
    toMysqlValue("timestamptz")("2024-01-02 03:04:05"),
    "2024-01-02 03:04:05",
  );
  assert.equal(toMysqlValue("json")({ a: 1 }), '{"a":1}');
  assert.equal(
    toMysqlValue("bigint")(12345678901234567890n),
    "12345678901234567890",
  );
});
