/** What one HTTP request may cost (`http.limits`); every cap answers in the API's JSON error shape. */
export interface HttpLimits {
  /** request bodies beyond this: 413 PAYLOAD_TOO_LARGE */
  maxBodyBytes: number;
  /** from..to of listings, the timeline, events and exports beyond this: 400 RANGE_TOO_LARGE */
  maxRangeDays: number;
  /** a whole request (headers and body) must arrive within this; responses are not limited */
  requestTimeoutMs: number;
  /** the request headers must arrive within this (slow-loris) */
  headersTimeoutMs: number;
  /** largest `limit` of GET /api/events (rows and JSON one request may cost): beyond it 400 */
  maxEventsPerRequest: number;
  /** MP4 exports running at once, all clients together: beyond it 503 TOO_MANY_EXPORTS */
  maxExports: number;
  /** ...and from one client address: beyond it 429 TOO_MANY_EXPORTS */
  maxExportsPerClient: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxBodyBytes: 1024 * 1024,
  maxRangeDays: 31,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 15_000,
  maxEventsPerRequest: 10_000,
  maxExports: 4,
  maxExportsPerClient: 2,
};

export const DAY_MS = 24 * 60 * 60 * 1000;
