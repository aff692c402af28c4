import assert from "node:assert/strict";
import {
  AuthError,
  ConnectionError,
  ConnectorError,
  DataError,
  SchemaError,
} from "../errors.ts";
import { parseCopyWhere, toConnectorError } from "./pg_errors.ts";

const pgError = (fields: Record<string, string>) =>
  Object.assign(new Error(fields.message), fields);

Deno.test("parseCopyWhere() reads the line and column of a COPY error", () => {
  assert.deepEqual(
    parseCopyWhere('COPY sales, line 42, column amount: "abc"'),
    {
      line: 42,
      column: "amount",
    },
  );
  assert.deepEqual(parseCopyWhere("COPY sales, line 7"), {
    line: 7,
    column: undefined,
  });
  assert.deepEqual(parseCopyWhere(undefined), {});
});

Deno.test("toConnectorError() turns a rejected value into a DataError with row and column", () => {
  const error = toConnectorError(
    pgError({
      message: 'invalid input syntax for type bigint: "abc"',
      code: "22P02",
      where: 'COPY sales, line 42, column amount: "abc"',
    }),
    'Cannot load into "sales"',
    { rowOffset: 1000 },
  );
  assert.ok(error instanceof DataError);
  assert.equal(error.row, 1042);
  assert.equal(error.column, "amount");
  assert.equal(
    error.message,
    'Cannot load into "sales": invalid input syntax for type bigint: "abc" (row 1042, column "amount")',
  );
});

Deno.test("toConnectorError() maps SQLSTATE classes and network codes to typed errors", () => {
  const cases: [Record<string, string>, typeof ConnectorError][] = [
    [{ message: "value out of range", code: "22003" }, DataError],
    [{ message: "null value violates not-null", code: "23502" }, DataError],
    [{ message: 'relation "x" does not exist', code: "42P01" }, SchemaError],
    [{ message: 'column "y" does not exist', code: "42703" }, SchemaError],
    [{ message: 'database "d" does not exist', code: "3D000" }, SchemaError],
    [{ message: "permission denied for table x", code: "42501" }, AuthError],
    [{ message: "password authentication failed", code: "28P01" }, AuthError],
    [
      { message: "connect ECONNREFUSED", code: "ECONNREFUSED" },
      ConnectionError,
    ],
    [{ message: "getaddrinfo ENOTFOUND", code: "ENOTFOUND" }, ConnectionError],
    [
      { message: "write CONNECT_TIMEOUT", code: "CONNECT_TIMEOUT" },
      ConnectionError,
    ],
    [{ message: "terminating connection", code: "57P01" }, ConnectionError],
  ];
  for (const [fields, type] of cases) {
    const error = toConnectorError(pgError(fields), "Cannot do it");
    assert.equal(error.constructor, type, fields.code);
    assert.equal(error.message, `Cannot do it: ${fields.message}`);
  }
});

Deno.test("toConnectorError() removes secrets and passes typed errors through", () => {
  const error = toConnectorError(
    pgError({
      message: 'role "bob" with password hunter22 refused',
      code: "28000",
    }),
    "Cannot connect",
    { secrets: ["hunter22"] },
  );
  assert.equal(
    error.message,
    'Cannot connect: role "bob" with password *** refused',
  );
  const typed = new SchemaError("already typed");
  assert.equal(toConnectorError(typed, "ignored"), typed);
});
