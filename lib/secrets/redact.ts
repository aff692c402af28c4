// Keeps secrets out of logs and error messages that reach users.

/** Secrets shorter than this are not redacted: they would mangle ordinary text. */
const MIN_SECRET_LENGTH = 3;

/** Replaces every occurrence of each secret (3+ characters) in `text` with `***`. */
export function redactSecrets(
  text: string,
  secrets: Iterable<string>,
): string {
  // Longest first, so a secret containing another is replaced whole.
  const sorted = [...secrets].filter((s) => s.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  let result = text;
  for (const secret of sorted) {
    if (result.includes(secret)) result = result.replaceAll(secret, "***");
  }
  return result;
}
