import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { CameraStatusSource } from '../hub/camera-status.js';
import type { Logger } from '../log/logger.js';
import { handleError, handleNotFound } from './errors.js';
import { cameraRoutes } from './routes/cameras.js';
import { healthRoutes } from './routes/health.js';
import { exportRoutes } from './routes/export.js';
import { recordingRoutes } from './routes/recordings.js';
import { storageRoutes, type StorageRouteOptions } from './routes/storage.js';
import type { Segments } from '../storage/segments.js';
import type { EventBus } from '../events/event-bus.js';
import type { EventStore } from '../events/event-store.js';
import type { ThumbnailStore } from '../motion/thumbnail-store.js';
import { eventRoutes } from './routes/events.js';
import { thumbnailRoutes } from './routes/thumbnails.js';
import fastifyWebsocket from '@fastify/websocket';
import type { StreamHub } from '../hub/stream-hub.js';
import type { ViewerLimits } from '../live/viewer.js';
import type { ViewerCap } from '../live/viewer-cap.js';
import { ExportSlots } from './export-slots.js';
import { DAY_MS, DEFAULT_HTTP_LIMITS, type HttpLimits } from './http-limits.js';
import { closeWebSockets, liveRoutes } from './routes/live.js';
import { hlsRoutes } from './routes/hls.js';
import type { HlsLive } from '../live/hls/hls-live.js';
import { webRoutes } from './routes/web.js';
import { cameraAdminRoutes, type CameraAdminOptions } from './routes/camera-admin.js';
import fastifyCookie from '@fastify/cookie';
import { authHooks } from '../auth/http-auth.js';
import { stripQueryToken } from '../auth/query-token.js';
import { securityHeaders } from '../auth/security-headers.js';
import type { Auth } from '../auth/start-auth.js';
import { authRoutes } from './routes/auth.js';

export interface HttpServerOptions {
  logger: Logger;
  cameras: CameraStatusSource;
  version: string;
  now?: () => number;
  /** Recorded segments to browse and serve; the routes exist only when given. */
  recordings?: { segments: Segments; dataDir: string; cameraIds: () => string[] };
  /** Disk usage and retention (GET /api/storage); the route exists only when given. */
  storage?: StorageRouteOptions;
  /** Live view (/live/:id.flv, /live/:id.mp4, HTTP and WebSocket); the routes exist only when given. */
  live?: { hub: StreamHub; cameraIds: () => string[]; limits?: ViewerLimits; cap?: ViewerCap };
  /** HLS packagers (/live/:id/index.m3u8); registered with the live routes. */
  hls?: HlsLive;
  /** Motion events (/api/events, /api/events/live, snapshots) and thumbnails; the routes exist only when given. */
  motion?: { events: EventStore; bus: EventBus; thumbnails: ThumbnailStore; cameraIds: () => string[] };
  /** Camera administration (settings, add, edit, delete at runtime); the routes exist only when given. */
  cameraAdmin?: CameraAdminOptions;
  /** http.limits: body size, query ranges, timeouts, concurrent exports; absent: the defaults */
  limits?: HttpLimits;
  /** Access control (src/auth/); absent: none, everyone is an admin (tests of single routes). */
  auth?: Auth;
}

export type HttpServer = FastifyInstance;

/** Request bodies are small JSON (settings, logins); anything bigger is a mistake or an attack. */
export const BODY_LIMIT_BYTES = DEFAULT_HTTP_LIMITS.maxBodyBytes;

/**
 * Fastify logs every request at info; a viewer polling the API would drown
 * the log. Per-request lines go to trace/debug instead.
 */
class QuietLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    if (!this.isLogDisabled(request)) request.log.trace({ req: request }, 'incoming request');
  }
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    const fields = { res: reply, responseTime: Math.round(reply.elapsedTime) };
    if (error) reply.log.warn({ ...fields, err: error }, 'request errored');
    else reply.log.debug(fields, 'request completed');
  }
  override routeNotFound(request: FastifyRequest): void {
    if (!this.isLogDisabled(request)) request.log.debug({ url: request.url }, 'route not found');
  }
}

/** The API server with every route registered, not yet listening (tests use inject()). */
export function buildHttpServer(opts: HttpServerOptions): HttpServer {
  const now = opts.now ?? Date.now;
  const limits = opts.limits ?? DEFAULT_HTTP_LIMITS;
  const app = Fastify({
    // Upcast so the instance has fastify's plain logger type, not pino's generic one.
    loggerInstance: opts.logger.child({ module: 'http' }) as FastifyBaseLogger,
    logController: new QuietLogController(),
    bodyLimit: limits.maxBodyBytes,
    // Time to receive a whole request. Responses are not limited: live
    // streams and exports legitimately run for hours.
    requestTimeout: limits.requestTimeoutMs,
    // node checks those timeouts every 30 s by default: a quarter of the headers timeout keeps them close to what is configured
    http: { connectionsCheckingInterval: Math.max(250, Math.min(5000, Math.floor(limits.headersTimeoutMs / 4))) },
    connectionTimeout: 0,
    keepAliveTimeout: 72_000,
    // X-Forwarded-For/-Proto/-Host only from a reverse proxy the operator vouches for
    trustProxy: opts.auth?.trustProxy ?? false,
    // ?token= leaves the URL before routing and logging (src/auth/query-token.ts)
    rewriteUrl: stripQueryToken,
  });
  app.server.headersTimeout = limits.headersTimeoutMs; // slow-loris: headers must arrive within this

  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
  app.addHook('onSend', async (request, reply) => {
    if (request.url.startsWith('/api/') && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });

  // security headers, then cookies, then the access check: in this order on every request, before any route
  void app.register(securityHeaders);
  void app.register(fastifyCookie);
  void app.register(authHooks, { auth: opts.auth });
  void app.register(authRoutes, { auth: opts.auth });
  void app.register(webRoutes);
  void app.register(healthRoutes, { version: opts.version, startedAt: now(), now });
  void app.register(cameraRoutes, { cameras: opts.cameras });
  if (opts.cameraAdmin) void app.register(cameraAdminRoutes, opts.cameraAdmin);
  if (opts.recordings) {
    const maxRangeMs = limits.maxRangeDays * DAY_MS;
    void app.register(recordingRoutes, { ...opts.recordings, now, maxRangeMs });
    void app.register(exportRoutes, { ...opts.recordings, now, maxRangeMs, exportSlots: new ExportSlots(limits.maxExports, limits.maxExportsPerClient) });
  }
  if (opts.storage) void app.register(storageRoutes, opts.storage);
  if (opts.motion) {
    void app.register(eventRoutes, { ...opts.motion, now, maxRangeMs: limits.maxRangeDays * DAY_MS, maxEvents: limits.maxEventsPerRequest });
    void app.register(thumbnailRoutes, { ...opts.motion, now });
  }
  if (opts.live) {
    // clients only receive on live sockets: anything big they send is a mistake or an attack
    void app.register(fastifyWebsocket, { options: { maxPayload: 64 * 1024 }, preClose: closeWebSockets });
    void app.register(liveRoutes, opts.live);
    if (opts.hls) void app.register(hlsRoutes, { hub: opts.live.hub, cameraIds: opts.live.cameraIds, live: opts.hls, cap: opts.live.cap });
  }
  return app;
}

/**
 * Stops the server (shutdown). Idle keep-alive connections close at once and
 * open responses finish; after `graceMs` whatever is left is cut: Node never
 * counts a connection that has not sent a request yet (a browser's preconnect,
 * an aborted fetch) as idle, and one would otherwise hold shutdown until the
 * client goes away (test/faults/sigterm-under-load.test.ts).
 */
export async function closeHttp(app: HttpServer, graceMs = 2000): Promise<void> {
  const timer = setTimeout(() => app.server.closeAllConnections(), graceMs);
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
}

/** Listens and returns the bound port (the real one when `port` is 0). */
export async function listenHttp(app: HttpServer, port: number, host: string): Promise<number> {
  await app.listen({ port, host });
  return (app.server.address() as AddressInfo).port;
}
