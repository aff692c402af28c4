// Talking to a running platform from the CLI: the server from --server or
// ETL_SERVER, the API token from ETL_TOKEN, and failures told in one line
// that never repeats the token.

import { CliError, type Env, EXIT } from "./command.ts";

/** Where `--server` points when neither it nor ETL_SERVER is set. */
export const DEFAULT_SERVER = "http://localhost:8000";

/** A parsed answer of the server. */
export interface ServerAnswer {
  status: number;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  body: unknown;
  /** The raw body. */
  text: string;
}

/** Options of {@linkcode connectServer}. */
export interface ConnectOptions {
  /** `--server`, if given. */
  server?: string;
  /** The command, for the messages (`apply`, `export`). */
  command: string;
}

/** A platform server reached with an API token. */
export class ServerClient {
  readonly #token: string;
  /** The server as messages name it: `http://host:port` (and its path prefix). */
  readonly name: string;

  /** `origin` ends with "/": request paths are relative to it. */
  constructor(readonly origin: string, token: string) {
    this.#token = token;
    this.name = origin.replace(/\/$/, "");
  }

  /**
   * Sends one request; a network failure or a 401 ends the command with a
   * clear message, any other status is the caller's to read.
   */
  async request(path: string, init: RequestInit = {}): Promise<ServerAnswer> {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${this.#token}`);
    headers.set("accept", "application/json, application/problem+json, */*");
    let response: Response;
    try {
      // Relative to the origin, so a path prefix (/etl/) is kept.
      response = await fetch(new URL(path.replace(/^\/+/, ""), this.origin), {
        ...init,
        headers,
        signal: AbortSignal.timeout(120_000),
      });
    } catch (error) {
      throw new CliError(
        `Cannot reach ${this.name}: ${
          this.#scrub((error as Error)?.message ?? String(error))
        }`,
      );
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const answer = { status: response.status, body, text };
    if (response.status === 401) {
      throw new CliError(
        `${this.name} refused the API token: 401 ${
          problemDetail(answer)
        } (set ETL_TOKEN to a valid API token)`,
      );
    }
    return answer;
  }

  // A message must never carry the token, whatever an error echoes.
  #scrub(message: string): string {
    return this.#token ? message.replaceAll(this.#token, "***") : message;
  }
}

/** Resolves the server and the token from the options and environment. */
export function connectServer(
  env: Env,
  options: ConnectOptions,
): ServerClient {
  const server = options.server ?? (env.ETL_SERVER || DEFAULT_SERVER);
  let url: URL;
  try {
    url = new URL(server);
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError("not http(s)");
    }
  } catch {
    throw new CliError(
      `Cannot use server ${
        JSON.stringify(server)
      }: not an http(s) URL, e.g. ${DEFAULT_SERVER}`,
      EXIT.usage,
    );
  }
  if (!env.ETL_TOKEN) {
    throw new CliError(
      `Cannot ${options.command}: set ETL_TOKEN to an API token (create one on the Account page, /account, or with POST /api/v1/tokens)`,
      EXIT.usage,
    );
  }
  // Keep a path prefix (a platform behind a proxy at /etl/) but drop the rest.
  const origin = `${url.origin}${url.pathname.replace(/\/*$/, "/")}`;
  return new ServerClient(origin, env.ETL_TOKEN);
}

/** The `detail` of a problem answer, else the start of its text. */
export function problemDetail(answer: ServerAnswer): string {
  const body = answer.body as Record<string, unknown> | undefined;
  if (body && typeof body.detail === "string") return body.detail;
  const text = answer.text.trim();
  return text ? text.slice(0, 300) : statusTitle(answer.status);
}

function statusTitle(status: number): string {
  return status >= 500 ? "Server error" : "Request failed";
}
