/**
 * Motion events (CONTRACT.md): the listing, one event, its snapshot JPEG, and
 * GET /api/events/live, the Server-Sent Events stream of starts and ends.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CAMERA_ID_PATTERN } from '../../config/schema.js';
import type { EventBus } from '../../events/event-bus.js';
import { eventJson } from '../../events/event-json.js';
import type { EventStore } from '../../events/event-store.js';
import { SseHub } from '../../events/sse-hub.js';
import { HttpError } from '../errors.js';
import { rangeQuery } from '../time-query.js';

export interface EventRouteOptions {
  events: EventStore;
  bus: EventBus;
  /** Configured camera ids, asked per request. */
  cameraIds: () => string[];
  now: () => number;
  /** longest from..to of one request (http.limits.maxRangeDays); default 31 days */
  maxRangeMs?: number;
  /** largest `limit` (http.limits.maxEventsPerRequest); default 10,000 */
  maxEvents?: number;
  /** simultaneous /api/events/live streams */
  maxLiveClients?: number;
}

const DEFAULT_LIMIT = 1000;
const MAX_LIMIT = 10_000;

export async function eventRoutes(app: FastifyInstance, opts: EventRouteOptions): Promise<void> {
  const sse = new SseHub(opts.bus, opts.maxLiveClients ?? 100);
  // Event streams never end by themselves: close them, or server.close() waits forever.
  app.addHook('preClose', (done) => {
    sse.stop();
    done();
  });

  const cameraParam = (request: FastifyRequest): string | undefined => {
    const v = (request.query as Record<string, unknown>).cameraId;
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string') throw new HttpError(400, 'BAD_CAMERA', 'cameraId: give it once');
    if (!CAMERA_ID_PATTERN.test(v) || !opts.cameraIds().includes(v)) {
      throw new HttpError(404, 'CAMERA_NOT_FOUND', `no camera ${JSON.stringify(v.slice(0, 64))}`);
    }
    return v;
  };

  app.get('/api/events', async (request) => {
    const q = request.query as Record<string, unknown>;
    const cameraId = cameraParam(request);
    const { fromMs, toMs } = rangeQuery(q, opts.now(), opts.maxRangeMs);
    const maxEvents = opts.maxEvents ?? MAX_LIMIT;
    const limit = intParam(q.limit, 'limit (at most http.limits.maxEventsPerRequest)', Math.min(DEFAULT_LIMIT, maxEvents), 1, maxEvents);
    const order = q.order === undefined || q.order === '' ? 'asc' : q.order;
    if (order !== 'asc' && order !== 'desc') throw new HttpError(400, 'BAD_ORDER', 'order: asc (oldest first, the default) or desc');
    return opts.events.list({ cameraId, fromMs, toMs, limit, order }).map(eventJson);
  });

  app.get('/api/events/live', async (request, reply) => {
    const cameraId = cameraParam(request);
    if (sse.size >= sse.maxClients) {
      request.log.warn({ limit: 'maxLiveClients', streams: sse.size }, 'event stream refused: too many at once');
      throw new HttpError(503, 'TOO_MANY_STREAMS', `at most ${sse.maxClients} event streams at once`);
    }
    reply.hijack();
    sse.add({ res: reply.raw, cameraId });
  });

  app.get('/api/events/:id', async (request) => {
    const id = eventId(request);
    const e = opts.events.get(id);
    if (!e) throw new HttpError(404, 'EVENT_NOT_FOUND', `no event ${id}`);
    return eventJson(e);
  });

  app.get('/api/events/:id/snapshot.jpg', async (request, reply: FastifyReply) => {
    const id = eventId(request);
    const jpeg = opts.events.snapshot(id);
    if (!jpeg) {
      const what = opts.events.get(id) ? `event ${id} has no snapshot` : `no event ${id}`;
      throw new HttpError(404, 'SNAPSHOT_NOT_FOUND', what);
    }
    // a snapshot can still change while its event goes on (a higher peak)
    const ongoing = opts.events.get(id)?.endMs === null;
    return reply
      .type('image/jpeg')
      .header('cache-control', ongoing ? 'no-store' : 'private, max-age=86400')
      .send(jpeg);
  });
}

function eventId(request: FastifyRequest): number {
  const raw = (request.params as { id: string }).id;
  if (!/^[1-9]\d{0,15}$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new HttpError(400, 'BAD_EVENT_ID', `event id ${JSON.stringify(raw.slice(0, 64))} is not a positive integer`);
  }
  return Number(raw);
}

function intParam(v: unknown, name: string, dflt: number, min: number, max: number): number {
  if (v === undefined || v === '') return dflt;
  if (typeof v !== 'string' || !/^\d{1,9}$/.test(v) || Number(v) < min || Number(v) > max) {
    throw new HttpError(400, 'BAD_REQUEST', `${name}: an integer from ${min} to ${max}`);
  }
  return Number(v);
}
