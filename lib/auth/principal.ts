// Who is making a request, once a session cookie or API token was checked.

/** The four roles, from most to least powerful (DESIGN.md "Security"). */
export const ROLES = ["admin", "editor", "operator", "viewer"] as const;

/** A user's role. */
export type Role = typeof ROLES[number];

/** The signed-in user behind a request. */
export interface Principal {
  userId: number;
  email: string;
  name: string;
  role: Role;
  /** How the request proved who it is. */
  via: "session" | "token";
  /** The API token used, when `via` is "token". */
  tokenId?: number;
}
