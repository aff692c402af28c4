// The one error type for HTTP: thrown anywhere, turned into a response by App.

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  410: "Gone",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** Reason phrase for an HTTP status, or `"Error"` when the status is unusual. */
export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? "Error";
}

/** Options for {@linkcode HttpError}: a cause, plus headers to send (e.g. `Allow`). */
export interface HttpErrorOptions extends ErrorOptions {
  headers?: HeadersInit;
}

/**
 * An error with an HTTP status. Its message is shown to the client, so it
 * must be safe to disclose; put internals in `cause`, which is only logged.
 */
export class HttpError extends Error {
  /** The HTTP status code of the response. */
  readonly status: number;
  /** Extra headers for the error response. */
  readonly headers: Headers;

  /** Create an error that becomes a `status` response; `message` defaults to the reason phrase. */
  constructor(status: number, message?: string, options?: HttpErrorOptions) {
    super(message ?? statusText(status), options);
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new RangeError(
        `Cannot create HttpError with status ${status}: use a status from 400 to 599`,
      );
    }
    this.name = "HttpError";
    this.status = status;
    this.headers = new Headers(options?.headers);
  }
}
