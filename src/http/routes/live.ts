/**
 * GET /live/:id.flv and /live/:id.mp4: live view over plain HTTP (chunked,
 * endless) or, on the same paths, WebSocket (binary messages; a browser grid
 * of 9+ tiles over HTTP/1.1 would hit the 6-connections-per-origin limit).
 * mp4 gives the MSE MIME type in `X-Codecs` (HTTP) or as a text message
 * before each init segment (WebSocket).
 */
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { LiveStream } from '../../hub/live-stream.js';
import type { StreamHub } from '../../hub/stream-hub.js';
import { FLV_CONTENT_TYPE, FlvLiveFormat } from '../../live/flv-live.js';
import { liveMimeType, MP4_CONTENT_TYPE, Mp4LiveFormat } from '../../live/mp4-live.js';
import { httpOutput, wsOutput, type ByteOutput } from '../../live/transports.js';
import { LiveViewer, type LiveFormat, type ViewerLimits } from '../../live/viewer.js';
import type { ViewerCap } from '../../live/viewer-cap.js';
import { errorBody } from '../errors.js';

export interface LiveRouteOptions {
  hub: StreamHub;
  cameraIds: () => string[];
  limits?: ViewerLimits;
  /** live.maxViewers / maxViewersPerCamera; absent: no cap */
  cap?: ViewerCap;
}

/** An offline camera is usually a camera reconnecting: worth retrying soon. */
const RETRY_AFTER_SECONDS = 2;
/** WebSocket close codes mirroring the HTTP statuses (4000-4999: for applications, RFC 6455 7.4.2). */
const WS_CLOSE_CODE = { 404: 4404, 503: 4503 } as const;
/** RFC 6455 5.5: a close frame's reason fits in 123 bytes. */
const MAX_CLOSE_REASON_BYTES = 123;

const FORMATS: Record<'flv' | 'mp4', { contentType: string; create: () => LiveFormat }> = {
  flv: { contentType: FLV_CONTENT_TYPE, create: () => new FlvLiveFormat() },
  mp4: { contentType: MP4_CONTENT_TYPE, create: () => new Mp4LiveFormat() },
};

/**
 * @fastify/websocket's preClose, replacing its default (close every client,
 * then wait): a client that never reads would never answer the close
 * handshake and would hold shutdown for ws's 30 s close timeout.
 */
export function closeWebSockets(this: FastifyInstance, done: () => void): void {
  for (const client of this.websocketServer.clients) {
    if (client.bufferedAmount === 0) client.close(1001, 'server shutting down');
    else client.terminate();
  }
  this.websocketServer.close(() => done());
}

type Lookup = { ok: true; stream: LiveStream } | { ok: false; status: 404 | 503; code: string; message: string; retryAfter?: number };
type LiveRequest = FastifyRequest<{ Params: { id: string } }>;

export async function liveRoutes(app: FastifyInstance, opts: LiveRouteOptions): Promise<void> {
  const viewers = new Set<LiveViewer>();
  // Live responses never end by themselves: close them, or server.close() waits forever.
  app.addHook('preClose', (done) => {
    for (const v of [...viewers]) v.close('server shutting down');
    done();
  });

  const lookup = (id: string, request: FastifyRequest, transport: string): Lookup => {
    const stream = opts.cameraIds().includes(id) ? opts.hub.stream(id) : undefined;
    if (!stream) return { ok: false, status: 404, code: 'CAMERA_NOT_FOUND', message: `no camera with id "${id}"` };
    if (!stream.live) return { ok: false, status: 503, code: 'CAMERA_OFFLINE', message: `camera "${id}" is not publishing` };
    const admitted = opts.cap?.admit(id, `${request.ip}:${request.socket.remotePort}`, transport) ?? { ok: true };
    if (!admitted.ok) return { ok: false, status: 503, code: admitted.code, message: admitted.message, retryAfter: admitted.retryAfterSeconds };
    return { ok: true, stream };
  };

  const startViewer = (ext: 'flv' | 'mp4', stream: LiveStream, output: ByteOutput, log: FastifyBaseLogger): void => {
    const viewer = new LiveViewer({ format: FORMATS[ext].create(), output, log, ...opts.limits });
    viewers.add(viewer);
    viewer.onClose((reason) => {
      viewers.delete(viewer);
      log.debug({ reason, ...viewer.stats }, 'live viewer closed');
    });
    log.debug('live viewer opened');
    viewer.attach(stream);
  };

  for (const ext of ['flv', 'mp4'] as const) {
    app.route({
      method: 'GET',
      url: `/live/:id.${ext}`,
      handler: (request: LiveRequest, reply: FastifyReply) => {
        const found = lookup(request.params.id, request, `http-${ext}`);
        if (!found.ok) {
          if (found.status === 503) void reply.header('retry-after', String(found.retryAfter ?? RETRY_AFTER_SECONDS));
          return reply.code(found.status).send(errorBody(found.code, found.message));
        }
        const headers: Record<string, string> = {
          'content-type': FORMATS[ext].contentType,
          'cache-control': 'no-store', // an endless stream: nothing a cache or proxy may keep
          'x-accel-buffering': 'no', // nginx in front: pass bytes through as they come
        };
        const { video, audio } = found.stream;
        const mime = ext === 'mp4' && liveMimeType(video?.track === 'video' ? video : null, audio?.track === 'audio' ? audio : null);
        if (mime) headers['x-codecs'] = mime;
        void reply.hijack();
        const res = reply.raw;
        // HEAD: the stream's headers, without a content-length that would claim an empty body
        if (request.method === 'HEAD') return void res.writeHead(200, headers).end();
        res.statusCode = 200;
        for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
        startViewer(ext, found.stream, httpOutput(res), request.log.child({ camera: request.params.id, live: ext, transport: 'http' }));
        // no cached GOP yet (a publisher that just connected): the client sees the 200 now anyway
        if (!res.headersSent && !res.destroyed) res.flushHeaders();
      },
      wsHandler: (socket: WebSocket, request: LiveRequest) => {
        const found = lookup(request.params.id, request, `ws-${ext}`);
        if (!found.ok) {
          const reason = Buffer.byteLength(found.message) <= MAX_CLOSE_REASON_BYTES ? found.message : found.code;
          socket.close(WS_CLOSE_CODE[found.status], reason);
          return;
        }
        startViewer(ext, found.stream, wsOutput(socket), request.log.child({ camera: request.params.id, live: ext, transport: 'ws' }));
      },
    });
  }
}
