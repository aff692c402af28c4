import assert from "node:assert/strict";
import {
  AuthError,
  ConnectionError,
  ConnectorError,
  DataError,
  SchemaError,
} from "../errors.ts";
import { parseRowAndColumn, toConnectorError } from "./mysql_errors.ts";

const context = 'Cannot load into "t"';

Deno.test("parseRowAndColumn() reads MariaDB's and MySQL's row and column", () => {
  assert.deepEqual(
    parseRowAndColumn(
      "Incorrect decimal value: 'x' for column `db`.`t`.`amount` at row 3",
    ),
    { row: 3, column: "amount" },
  );
  assert.deepEqual(
    parseRowAndColumn("Data too long for column 'name' at row 12"),
    { row: 12, column: "name" },
  );
  assert.deepEqual(parseRowAndColumn("Column 'id' cannot be null"), {
    row: undefined,
    column: "id",
  });
});

Deno.test("toConnectorError() adds the rows of earlier statements to the server's row", () => {
  const error = toConnectorError(
    {
      errno: 1366,
      code: "ER_TRUNCATED_WRONG_VALUE_FOR_FIELD",
      sqlMessage:
        "Incorrect integer value: 'abc' for column `db`.`t`.`n` at row 7",
    },
    context,
    { rowOffset: 2_000 },
  );
  assert.ok(error instanceof DataError);
  assert.equal(error.row, 2_007);
  assert.equal(error.column, "n");
  assert.equal(
    error.message,
    `${context}: Incorrect integer value: 'abc' for column \`db\`.\`t\`.\`n\` at row 7 (row 2007, column "n")`,
  );
});

Deno.test("toConnectorError() maps access, schema and socket errors to their kinds", () => {
  const denied = toConnectorError(
    { errno: 1045, sqlMessage: "Access denied" },
    "x",
  );
  assert.ok(denied instanceof AuthError);
  assert.ok(
    toConnectorError({ errno: 1146, sqlMessage: "no table" }, "x") instanceof
      SchemaError,
  );
  const refused = toConnectorError({ code: "ECONNREFUSED" }, "Cannot connect");
  assert.ok(refused instanceof ConnectionError);
  assert.equal(refused.message, "Cannot connect: connection refused");
  const late = toConnectorError({ code: "ETIMEDOUT" }, "Cannot connect", {
    timeoutSeconds: 5,
  });
  assert.ok(late instanceof ConnectionError);
  assert.equal(late.message, "Cannot connect: timeout after 5 s");
  const other = toConnectorError({ errno: 1205, sqlMessage: "Lock wait" }, "x");
  assert.equal(other.constructor, ConnectorError);
});

Deno.test("toConnectorError() keeps secrets out of the message and passes typed errors through", () => {
  const error = toConnectorError(
    { errno: 1064, sqlMessage: "near 'hunter22' at line 1" },
    "x",
    { secrets: ["hunter22"] },
  );
  assert.equal(error.message, "x: near '***' at line 1");
  const typed = new SchemaError("already typed");
  assert.equal(toConnectorError(typed, "x"), typed);
});
