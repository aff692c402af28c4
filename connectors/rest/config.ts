// Configuration of the REST API source: one schema for the API, the YAML
// loader and the forms. Secrets are top-level fields so the registry finds them.

import { z } from "zod";

const name = (what: string) => z.string().min(1, `${what} cannot be empty`);

/** Configuration of a REST API source. */
export const restConfigSchema = z.object({
  url: z.url({
    protocol: /^https?$/,
    error: "Must be an http:// or https:// URL",
  }).describe(
    "Endpoint returning JSON, e.g. https://api.example.com/v1/orders; static query parameters may be part of it",
  ),
  method: z.enum(["GET", "POST"]).default("GET").describe(
    "HTTP method: GET, or POST to send `body`",
  ),
  headers: z.record(z.string(), z.string()).default({}).describe(
    "Extra request headers; put credentials in the auth fields, which are kept secret",
  ),
  query: z.record(z.string(), z.string()).default({}).describe(
    "Static query parameters added to every request (no templates)",
  ),
  body: z.json().optional().describe(
    "JSON body sent with every POST request, pages included",
  ),
  auth_type: z.enum(["none", "bearer", "basic", "api_key"]).default("none")
    .describe(
      "Authentication: none, bearer (token), basic (username and password) or api_key (in a header or the query string)",
    ),
  token: z.string().optional().meta({ secret: true }).describe(
    "Bearer token, sent as `Authorization: Bearer …`; stored encrypted and never shown again",
  ),
  username: z.string().optional().describe("User name for basic auth"),
  password: z.string().optional().meta({ secret: true }).describe(
    "Password for basic auth; stored encrypted and never shown again",
  ),
  api_key_in: z.enum(["header", "query"]).default("header").describe(
    "Where the API key goes: a request header or a query parameter",
  ),
  api_key_name: name("API key name").default("X-API-Key").describe(
    "Name of the header or query parameter carrying the API key",
  ),
  api_key: z.string().optional().meta({ secret: true }).describe(
    "API key; stored encrypted and never shown again",
  ),
  pagination: z.enum(["none", "page", "offset", "cursor", "link"]).default(
    "none",
  ).describe(
    'How to get the next page: none, page (number), offset (and limit), cursor (next token in the response) or link (the Link header\'s rel="next")',
  ),
  page_param: name("Page parameter").default("page").describe(
    "Query parameter carrying the page number",
  ),
  page_start: z.number().int().min(0).default(1).describe(
    "Number of the first page, usually 1 or 0",
  ),
  page_size_param: z.string().optional().describe(
    "Query parameter carrying `page_size`, e.g. per_page",
  ),
  page_size: z.number().int().positive().optional().describe(
    "Records per page; a shorter page is the last one. Without it, an empty page ends the read",
  ),
  offset_param: name("Offset parameter").default("offset").describe(
    "Query parameter carrying the number of records to skip",
  ),
  limit_param: name("Limit parameter").default("limit").describe(
    "Query parameter carrying `limit`",
  ),
  limit: z.number().int().positive().default(100).describe(
    "Records per request with offset pagination; a shorter page is the last one",
  ),
  next_token_path: z.string().optional().describe(
    "Dotted path of the next page's token in the response, e.g. meta.next_cursor; no token ends the read",
  ),
  next_token_param: name("Next token parameter").default("cursor").describe(
    "Query parameter the next page's token is passed back in",
  ),
  records_path: z.string().default("").describe(
    "Dotted path of the records array in the response, e.g. data.items; empty or $ for a top-level array",
  ),
  retries: z.number().int().min(0).max(20).default(4).describe(
    "Retries of a request failing with 429, a 5xx status, a timeout or a network error (4: at most 5 attempts)",
  ),
  retry_backoff_seconds: z.number().min(0).default(1).describe(
    "First wait before a retry, doubled at each retry, unless the server sends Retry-After",
  ),
  retry_max_wait_seconds: z.number().min(0).default(60).describe(
    "Longest wait before one retry, Retry-After included",
  ),
  timeout_seconds: z.number().positive().default(30).describe(
    "Seconds to wait for a response, body included, before the attempt fails",
  ),
  rate_limit_per_second: z.number().positive().optional().describe(
    "Most requests started per second, retries included; no limit when not set",
  ),
  cursor_param: z.string().optional().describe(
    "Query parameter receiving the incremental cursor's last value, e.g. updated_since; records are also filtered here",
  ),
}).superRefine((config, ctx) => {
  const missing = (field: string, message: string) =>
    ctx.addIssue({ code: "custom", path: [field], message });
  if (config.auth_type === "bearer" && !config.token) {
    missing("token", "Bearer auth needs a token");
  }
  if (config.auth_type === "basic" && !config.username) {
    missing("username", "Basic auth needs a username");
  }
  if (config.auth_type === "basic" && config.password === undefined) {
    missing("password", "Basic auth needs a password");
  }
  if (config.auth_type === "api_key" && !config.api_key) {
    missing("api_key", "API key auth needs an api_key");
  }
  if (config.pagination === "cursor" && !config.next_token_path) {
    missing(
      "next_token_path",
      "Cursor pagination needs next_token_path, e.g. meta.next_cursor",
    );
  }
  if (config.body !== undefined && config.method !== "POST") {
    missing("body", 'A body is only sent with method "POST"');
  }
  if (/^[a-z]+:\/\/[^/]*@/i.test(config.url)) {
    missing(
      "url",
      'Credentials in the URL would be shown in logs: use auth_type "basic" with username and password',
    );
  }
});

/** A validated REST API source configuration. */
export type RestConfig = z.infer<typeof restConfigSchema>;
