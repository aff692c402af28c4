// Sign-in: throttle check, password check, a fresh session (never the one
// the browser came with: that defeats session fixation), and the audit trail.

import type { Db } from "../db/db.ts";
import { recordAudit } from "../audit/audit_log.ts";
import { DUMMY_PASSWORD_HASH, verifyPassword } from "./password.ts";
import { createSession, deleteSession, type NewSession } from "./sessions.ts";
import {
  beginSignInAttempt,
  clearSignInFailures,
  forgetSignInAttempt,
  trimSignInFailures,
} from "./sign_in_throttle.ts";
import { findUserForSignIn } from "./users.ts";
import type { Role } from "./principal.ts";

/** What a sign-in attempt carries. */
export interface SignInAttempt {
  email: string;
  password: string;
  ip: string;
  userAgent: string;
  /** The session cookie the browser already had, ended on success. */
  previousSession?: string | null;
}

/** How a sign-in attempt ended. */
export type SignInResult =
  | {
    ok: true;
    session: NewSession;
    user: { id: number; email: string; role: Role };
  }
  | { ok: false; reason: "invalid" }
  | { ok: false; reason: "throttled"; retryAfter: number };

/** Checks the credentials and, if right, starts a new session. */
export async function signIn(
  db: Db,
  attempt: SignInAttempt,
): Promise<SignInResult> {
  const email = attempt.email.trim().toLowerCase();
  // Counted as a failure from here on, so parallel guesses can't all slip
  // through; forgotten again if it turns out right.
  const pending = await beginSignInAttempt(db, email, attempt.ip);
  const { retryAfter } = pending;
  if (retryAfter > 0) {
    await recordAudit(db, {
      actor: { id: null, label: email },
      action: "auth.sign_in_throttled",
      ip: attempt.ip,
      detail: { retryAfter },
    });
    return { ok: false, reason: "throttled", retryAfter };
  }
  const user = await findUserForSignIn(db, email);
  // Verify even without a user so timing doesn't reveal which emails exist.
  const matches = await verifyPassword(
    attempt.password,
    user?.passwordHash ?? DUMMY_PASSWORD_HASH,
  );
  if (!user || !user.passwordHash || !matches || !user.active) {
    await trimSignInFailures(db);
    await recordAudit(db, {
      actor: { id: user?.id ?? null, label: email },
      action: "auth.sign_in_failed",
      ip: attempt.ip,
      detail: { reason: user && matches ? "deactivated" : "bad credentials" },
    });
    return { ok: false, reason: "invalid" };
  }
  if (attempt.previousSession) {
    await deleteSession(db, attempt.previousSession);
  }
  const session = await createSession(db, user.id, attempt);
  await forgetSignInAttempt(db, pending);
  await clearSignInFailures(db, email);
  await recordAudit(db, {
    actor: { id: user.id, label: user.email },
    action: "auth.sign_in",
    ip: attempt.ip,
  });
  return {
    ok: true,
    session,
    user: { id: user.id, email: user.email, role: user.role },
  };
}
