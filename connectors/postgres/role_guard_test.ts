import assert from "node:assert/strict";
import { refuseRoleChange, RoleChangeRefused } from "./role_guard.ts";

Deno.test("statements that could take the role back are refused", () => {
  for (
    const text of [
      "reset role",
      "RESET ROLE; update etl.app_user set role = 'admin'",
      "set role postgres",
      "set local role postgres",
      'set "role" = postgres',
      "set session authorization postgres",
      "reset all",
      "select set_config('role', 'postgres', true)",
      "select pg_catalog.set_config('role', 'postgres', true)",
      "discard all",
      "do $$ begin reset role; end $$",
      "reset/**/role",
      "select 1 from t where x = (select 1); set role postgres",
      "do $$ begin execute 'set role postgres'; end $$",
    ]
  ) {
    assert.throws(() => refuseRoleChange(text), RoleChangeRefused, text);
  }
});

Deno.test("ordinary statements pass, a column named role too", () => {
  for (
    const text of [
      "select * from sales",
      "update people set role = 'admin' where id = 1",
      "update people set roles = 1",
      "insert into t (role) values ('x') on conflict (id) do update set role = excluded.role",
      "create table offsets as select 1 as all_rows",
    ]
  ) {
    refuseRoleChange(text);
  }
});
