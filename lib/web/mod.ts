/**
 * A small web layer with Fresh 2's API and file conventions (Fresh itself is
 * only on JSR, which this project cannot reach). Moving to Fresh later should
 * be mostly a change of import paths.
 *
 * @module
 */
export {
  App,
  type AppOptions,
  type FsRoutesOptions,
  type ListenOptions,
} from "./app.ts";
export {
  Context,
  type HandlerByMethod,
  type HandlerFn,
  type Method,
  type Middleware,
  page,
  type PageComponent,
  type PageProps,
  type PageResponse,
  type RouteHandler,
} from "./context.ts";
export { createDefine, type Define } from "./define.ts";
export { HttpError, type HttpErrorOptions, statusText } from "./http_error.ts";
export { stopBundler } from "./bundler.ts";
export { staticFiles, type StaticFilesOptions } from "./static_files.ts";
export { csrf, type CsrfOptions } from "./csrf.ts";
export {
  DEFAULT_CSP,
  securityHeaders,
  type SecurityHeadersOptions,
} from "./security_headers.ts";
export {
  formatSseEvent,
  type SseEvent,
  type SseOptions,
  sseResponse,
} from "./sse.ts";
