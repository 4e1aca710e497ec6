/**
 * HLS live view (CONTRACT.md `GET /live/:id/index.m3u8`): fMP4 (CMAF)
 * segments, and Low-Latency HLS parts with blocking playlist reload and
 * preload hints (draft-pantos-hls-rfc8216bis) for Safari/iOS and hls.js.
 *
 *   /live/:id/index.m3u8          media playlist (?_HLS_msn=&_HLS_part= block)
 *   /live/:id/init.mp4            the current init segment; init-<n>.mp4 a given one
 *   /live/:id/seg-<msn>.m4s       a complete media segment
 *   /live/:id/part-<id>.m4s       a part (the hinted next one blocks until made)
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { StreamHub } from '../../hub/stream-hub.js';
import { HlsLive } from '../../live/hls/hls-live.js';
import type { ViewerCap } from '../../live/viewer-cap.js';
import type { HlsPackager } from '../../live/hls/hls-packager.js';
import { errorBody, HttpError } from '../errors.js';
import { requireCamera } from './recordings.js';

export interface HlsRoutesOptions {
  hub: StreamHub;
  /** configured camera ids, asked per request */
  cameraIds: () => string[];
  /** share one to count viewers (HlsLive.viewers); made here when absent */
  live?: HlsLive;
  /** live.maxViewers / maxViewersPerCamera, applied to a client's first playlist request; absent: no cap */
  cap?: ViewerCap;
}

const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';
/** registered for CMAF/fMP4 media segments (.m4s) */
const SEGMENT_TYPE = 'video/iso.segment';
/** media URIs never name different bytes (see HlsLive numbering): cache them */
const MEDIA_CACHE = 'private, max-age=600, immutable';
/** first playlist of a new packager: one GOP (the cache replays the current one) plus the 1 s segment minimum, bounded */
const FIRST_SEGMENT_WAIT_MS = 11_000;
const OFFLINE_RETRY_S = 5;

export async function hlsRoutes(app: FastifyInstance, opts: HlsRoutesOptions): Promise<void> {
  const live = opts.live ?? new HlsLive({ hub: opts.hub, log: app.log });
  app.addHook('onClose', async () => live.stop());

  const unavailable = (reply: FastifyReply, code: string, message: string, retryS: number) =>
    reply.code(503).header('retry-after', String(retryS)).header('cache-control', 'no-store').send(errorBody(code, message));

  app.get('/live/:id/index.m3u8', async (request, reply) => {
    const id = requireCamera(request, opts.cameraIds());
    const block = blockingQuery(request.query as Record<string, unknown>);
    if (!opts.hub.stream(id)?.live) return unavailable(reply, 'CAMERA_OFFLINE', `camera "${id}" is not publishing`, OFFLINE_RETRY_S);
    if (opts.cap && !live.watching(id, request.ip)) {
      const admitted = opts.cap.admit(id, request.ip, 'hls');
      if (!admitted.ok) return unavailable(reply, admitted.code, admitted.message, admitted.retryAfterSeconds);
    }
    live.noteViewer(id, request.ip);
    const p = live.packager(id);
    if (!p) throw new HttpError(404, 'CAMERA_NOT_FOUND', `no camera "${id}"`);
    const isLive = () => opts.hub.stream(id)?.live === true;

    if (!(await p.waitFor(() => p.ready() || !isLive(), FIRST_SEGMENT_WAIT_MS)) || !p.ready()) {
      if (!isLive()) return unavailable(reply, 'CAMERA_OFFLINE', `camera "${id}" is not publishing`, OFFLINE_RETRY_S);
      return unavailable(reply, 'HLS_NOT_READY', `no complete segment yet for camera "${id}" (no keyframe?)`, 1);
    }
    if (block && live.settings.lowLatency) {
      const last = p.window.lastMsn()!;
      // rfc8216bis 6.2.5.2: more than two segments ahead is a client error, not something to wait for
      if (block.msn > last + 2) throw new HttpError(400, 'BAD_HLS_MSN', `_HLS_msn ${block.msn} is more than two segments past ${last}`);
      // ... and so is a part past the newest by more than the Advance Part Limit (3 / PART-TARGET parts)
      const open = p.window.open;
      const limit = Math.ceil(3000 / Math.min(1000, p.partTargetMs()));
      if (open && block.msn === open.msn && block.part !== null && block.part > open.parts.length - 1 + limit) {
        throw new HttpError(400, 'BAD_HLS_PART', `_HLS_part ${block.part} is more than ${limit} parts past the newest`);
      }
      // rfc8216bis 6.2.5.2: answer within three target durations, else 503
      const ok = await p.waitFor(() => p.window.has(block.msn, block.part) || !isLive(), 3000 * p.targetDurationS());
      if (!ok) return unavailable(reply, 'HLS_NOT_READY', `segment ${block.msn} did not arrive in time`, 1);
    }
    return reply.type(PLAYLIST_TYPE).header('cache-control', 'no-cache').send(p.playlist());
  });

  const packager = (request: FastifyRequest): HlsPackager => {
    const id = requireCamera(request, opts.cameraIds());
    const p = live.existing(id);
    if (!p) throw new HttpError(404, 'HLS_NOT_STARTED', `no HLS session for camera "${id}": fetch index.m3u8 first`);
    return p;
  };
  const media = (reply: FastifyReply, type: string, data: Buffer) => reply.type(type).header('cache-control', MEDIA_CACHE).send(data);

  app.get('/live/:id/init.mp4', async (request, reply) => {
    const data = packager(request).initSegment();
    if (!data) throw new HttpError(404, 'SEGMENT_NOT_FOUND', 'no init segment yet');
    // the current one changes with the codecs: not cacheable, unlike init-<n>.mp4
    return reply.type('video/mp4').header('cache-control', 'no-cache').send(data);
  });

  app.get('/live/:id/init-:n.mp4', async (request, reply) => {
    const n = number(request, 'n');
    const data = packager(request).initSegment(n);
    if (!data) throw new HttpError(404, 'SEGMENT_NOT_FOUND', `init segment ${n} is not held`);
    return media(reply, 'video/mp4', data);
  });

  app.get('/live/:id/seg-:n.m4s', async (request, reply) => {
    const n = number(request, 'n');
    const seg = packager(request).window.segment(n);
    if (!seg) throw new HttpError(404, 'SEGMENT_NOT_FOUND', `segment ${n} is not held (aged out, or not complete yet)`);
    return media(reply, SEGMENT_TYPE, Buffer.concat(seg.parts.map((x) => x.data), seg.byteLength));
  });

  app.get('/live/:id/part-:n.m4s', async (request, reply) => {
    const n = number(request, 'n');
    const p = packager(request);
    // the part a preload hint names is held until it exists (rfc8216bis 6.2.6); others 404 at once
    if (!p.window.part(n) && n === p.window.nextPartId && p.running) {
      await p.waitFor(() => p.window.part(n) !== undefined || !p.running, Math.max(3000, 3 * p.partTargetMs()));
    }
    const part = p.window.part(n);
    if (!part) throw new HttpError(404, 'SEGMENT_NOT_FOUND', `part ${n} is not held`);
    return media(reply, SEGMENT_TYPE, part.data);
  });
}

function number(request: FastifyRequest, name: string): number {
  const raw = (request.params as Record<string, string>)[name];
  if (!/^\d{1,15}$/.test(raw)) throw new HttpError(404, 'SEGMENT_NOT_FOUND', `no such resource ${JSON.stringify(raw.slice(0, 32))}`);
  return Number(raw);
}

/** _HLS_msn / _HLS_part (rfc8216bis 6.2.5.2); a part without an msn is a Bad Request. */
function blockingQuery(q: Record<string, unknown>): { msn: number; part: number | null } | null {
  const int = (name: string): number | null => {
    const v = q[name];
    if (v === undefined) return null;
    if (typeof v !== 'string' || !/^\d{1,15}$/.test(v)) throw new HttpError(400, 'BAD_HLS_QUERY', `${name} must be a non-negative integer`);
    return Number(v);
  };
  const msn = int('_HLS_msn');
  const part = int('_HLS_part');
  if (msn === null) {
    if (part !== null) throw new HttpError(400, 'BAD_HLS_QUERY', '_HLS_part needs _HLS_msn');
    return null;
  }
  return { msn, part };
}
