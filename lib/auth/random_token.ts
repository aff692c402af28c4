// Random secrets for session cookies, API tokens and setup links, and the
// SHA-256 under which they are stored (they are high-entropy, so no KDF).

/** A URL-safe random string of `bytes` random bytes, optionally prefixed. */
export function randomToken(bytes = 32, prefix = ""): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  const b64 = btoa(String.fromCharCode(...raw)).replaceAll("+", "-")
    .replaceAll("/", "_").replace(/=+$/, "");
  return prefix + b64;
}

/** Hex SHA-256 of `token`: what the database keeps instead of the token. */
export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(token),
  );
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}
