// On the embedded warehouse user SQL shares the platform's superuser session
// and only `set local role` keeps it from the `etl` schema: statements that
// could take the role back are refused before they run. A best-effort guard
// (dynamic SQL built from pieces can still slip by; executeStatement also
// checks the role afterwards); the PostgreSQL backend's login role is the
// real isolation.

import { sqlRegions } from "../../lib/pipeline/template.ts";

// SET/RESET ROLE or SESSION AUTHORIZATION (also quoted), RESET ALL,
// set_config(), DISCARD: each can end `set local role`.
// A SET/RESET command starts a statement (or a quoted or PL/pgSQL one):
// `update t set role = 'x'` (a column named role) stays allowed.
const ROLE_CHANGE =
  /(^|[;'$(]|\b(execute|begin|then|else|loop|do)\b)\s*(set|reset)\s+(session\s+|local\s+)?("?role"?|session\s+authorization|"?session_authorization"?|all)\b|\bset_config"?\s*\(|\bdiscard\b/i;

/** The error of a refused statement: SQLSTATE 42501 (insufficient privilege). */
export class RoleChangeRefused extends Error {
  readonly code = "42501";
  constructor() {
    super(
      "permission denied: statements that change the role or session authorization (SET/RESET ROLE, SET SESSION AUTHORIZATION, RESET ALL, set_config, DISCARD) are refused on the local warehouse",
    );
    this.name = "RoleChangeRefused";
  }
}

/** Throws {@linkcode RoleChangeRefused} when `text` may change the role. */
export function refuseRoleChange(text: string): void {
  // Raw text catches `execute 'reset role'`; the code with comments blanked
  // catches `reset/**/role`.
  if (ROLE_CHANGE.test(text) || ROLE_CHANGE.test(withoutComments(text))) {
    throw new RoleChangeRefused();
  }
}

function withoutComments(sql: string): string {
  let code = "";
  let last = 0;
  for (const region of sqlRegions(sql, "postgres")) {
    const part = sql.slice(region.start, region.end);
    const comment = part.startsWith("--") || part.startsWith("/*");
    code += sql.slice(last, region.start) +
      (comment ? " ".repeat(part.length) : part);
    last = region.end;
  }
  return code + sql.slice(last);
}
