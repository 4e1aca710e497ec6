/** GET /api/cameras/:id/thumbnail?at=: the JPEG of the keyframe nearest to `at` (the latest without it). */
import type { FastifyInstance } from 'fastify';
import type { ThumbnailStore } from '../../motion/thumbnail-store.js';
import { HttpError } from '../errors.js';
import { isoUtc, parseTime } from '../time-query.js';
import { requireCamera } from './recordings.js';

export interface ThumbnailRouteOptions {
  thumbnails: ThumbnailStore;
  cameraIds: () => string[];
  now: () => number;
}

/** A past picture no longer changes once the nearest later keyframe has surely been stored. */
const SETTLED_MS = 60_000;

export async function thumbnailRoutes(app: FastifyInstance, opts: ThumbnailRouteOptions): Promise<void> {
  app.get('/api/cameras/:id/thumbnail', async (request, reply) => {
    const cameraId = requireCamera(request, opts.cameraIds());
    const at = (request.query as Record<string, unknown>).at;
    if (at !== undefined && typeof at !== 'string') throw new HttpError(400, 'BAD_TIME', 'at: give it once');
    const atMs = at ? parseTime(at, 'at') : undefined;
    const t = atMs === undefined ? opts.thumbnails.latest(cameraId) : opts.thumbnails.nearest(cameraId, atMs);
    if (!t) throw new HttpError(404, 'THUMBNAIL_NOT_FOUND', `camera ${cameraId} has no thumbnails${atMs === undefined ? '' : ' yet'}`);
    const settled = atMs !== undefined && Math.max(t.atMs, atMs) < opts.now() - SETTLED_MS;
    return reply
      .type('image/jpeg')
      .header('cache-control', settled ? 'private, max-age=3600' : 'no-store')
      // when the picture is from: the nearest keyframe may be far from `at` (a gap in recording)
      .header('x-thumbnail-time', isoUtc(t.atMs))
      .header('x-thumbnail-ms', String(t.atMs))
      .header('x-thumbnail-size', `${t.width}x${t.height}`)
      .send(t.jpeg);
  });
}
