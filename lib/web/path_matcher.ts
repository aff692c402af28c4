// Route patterns: `/users/:id`, `/docs/:path*` (catch-all), plain static paths.

type Segment =
  | { kind: "static"; value: string }
  | { kind: "param"; name: string }
  | { kind: "rest"; name: string };

/** A parsed route pattern. */
export interface PathPattern {
  /** The pattern as written, e.g. `/users/:id`. */
  readonly source: string;
  readonly segments: readonly Segment[];
}

const NAME = /^[A-Za-z_$][\w$]*$/;

function split(path: string): string[] {
  // A trailing slash is ignored: `/about/` matches `/about`.
  return path.split("/").filter((part, i, all) =>
    i > 0 && (part !== "" || i < all.length - 1)
  );
}

/** Parse `/a/:id/:rest*`; `:name*` must be last and matches zero or more segments. */
export function parsePath(source: string): PathPattern {
  if (!source.startsWith("/")) {
    throw new Error(`Cannot parse route "${source}": it must start with "/"`);
  }
  const parts = split(source);
  const segments = parts.map((part, i): Segment => {
    if (!part.startsWith(":")) return { kind: "static", value: part };
    const rest = part.endsWith("*");
    const name = part.slice(1, rest ? -1 : undefined);
    if (!NAME.test(name)) {
      throw new Error(
        `Cannot parse route "${source}": invalid parameter name "${name}"`,
      );
    }
    if (rest && i !== parts.length - 1) {
      throw new Error(
        `Cannot parse route "${source}": catch-all ":${name}*" must be the last segment`,
      );
    }
    return rest ? { kind: "rest", name } : { kind: "param", name };
  });
  return { source, segments };
}

/** Match a URL pathname; returns the decoded params, or null. */
export function matchPath(
  pattern: PathPattern,
  pathname: string,
): Record<string, string> | null {
  const parts = split(pathname);
  const params: Record<string, string> = {};
  const { segments } = pattern;
  try {
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i];
      if (segment.kind === "rest") {
        params[segment.name] = parts.slice(i).map(decodeURIComponent).join("/");
        return params;
      }
      if (i >= parts.length) return null;
      if (segment.kind === "static") {
        if (segment.value !== parts[i]) return null;
      } else params[segment.name] = decodeURIComponent(parts[i]);
    }
  } catch {
    return null; // malformed %-escape: no route can match it
  }
  return parts.length === segments.length ? params : null;
}

const RANK = { static: 0, param: 1, rest: 2 } as const;

/** Sort order: at the first differing segment, end of path before static before `:param` before `:rest*`. */
export function comparePatterns(a: PathPattern, b: PathPattern): number {
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const diff = rank(a.segments[i]) - rank(b.segments[i]);
    if (diff !== 0) return diff;
  }
  return 0;
}

function rank(segment: Segment | undefined): number {
  return segment ? RANK[segment.kind] : -1;
}
