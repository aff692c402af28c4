// The audit actor of a request: its signed-in user.

import type { AuditActor } from "../audit/audit_log.ts";
import type { AuthState } from "./authenticate.ts";

/** `{id, label}` of the request's user, or of "anonymous". */
export function requestActor(state: AuthState): AuditActor {
  return state.user
    ? { id: state.user.userId, label: state.user.email }
    : { id: null, label: "anonymous" };
}
