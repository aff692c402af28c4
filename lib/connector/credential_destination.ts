// Where a connector's credentials go. A secret is bound to the server its
// owner configured: a pipeline step may not point the connector elsewhere
// (it would hand the password to a server of the step author's choosing),
// and an edit that moves the connector must enter its secrets again.

/** The settings that decide where credentials are sent, per kind. */
function destinationOf(
  kind: string,
  config: Record<string, unknown>,
): Record<string, unknown> | null {
  switch (kind) {
    case "postgres":
    case "mysql":
      return {
        host: config.host,
        port: Number(config.port ?? (kind === "postgres" ? 5432 : 3306)),
        user: config.user,
        ssl: config.ssl,
      };
    case "rest":
      return { origin: originOf(config.url) };
    case "s3":
      return {
        endpoint: originOf(config.endpoint),
        region: config.region,
        access_key_id: config.access_key_id,
      };
    default:
      return null;
  }
}

function originOf(url: unknown): string | null {
  if (typeof url !== "string") return null;
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/**
 * The settings that differ between where `before` and `after` send
 * credentials, e.g. `["host"]`; empty when they go to the same place.
 */
export function movedDestination(
  kind: string,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): string[] {
  const a = destinationOf(kind, before);
  const b = destinationOf(kind, after);
  if (!a || !b) return [];
  return Object.keys(a).filter((key) =>
    JSON.stringify(a[key] ?? null) !== JSON.stringify(b[key] ?? null)
  );
}
