import { resolve } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CAMERA_ID_PATTERN } from '../../config/schema.js';
import type { SegmentListRow, SegmentRow, Segments } from '../../storage/segments.js';
import { PathEscapeError, resolveInside } from '../../storage/safe-path.js';
import { HttpError } from '../errors.js';
import type { ExportSlots } from '../export-slots.js';
import { serveFile } from '../range.js';
import { isoUtc, rangeQuery } from '../time-query.js';

export interface RecordingsOptions {
  segments: Segments;
  /** Segment rows' paths are relative to this. */
  dataDir: string;
  /** Configured camera ids, asked per request so a config reload is seen. */
  cameraIds: () => string[];
  now: () => number;
  /** longest from..to of one request (http.limits.maxRangeDays); default 31 days */
  maxRangeMs?: number;
  /** concurrent exports (http.limits.maxExports, maxExportsPerClient); absent: no cap */
  exportSlots?: ExportSlots;
}

export interface SegmentJson {
  id: number;
  cameraId: string;
  start: string;
  end: string;
  startMs: number;
  endMs: number;
  bytes: number;
  format: SegmentRow['format'];
  url: string;
  /** still being written: end and bytes grow */
  open: boolean;
  videoCodec: string | null;
  audioCodec: string | null;
  width: number | null;
  height: number | null;
  endReason: string | null;
}

const CONTENT_TYPES: Record<SegmentRow['format'], string> = { flv: 'video/x-flv', mp4: 'video/mp4' };

/** The `:id` of a configured camera, or a 404 CAMERA_NOT_FOUND. */
export function requireCamera(request: FastifyRequest, cameraIds: string[]): string {
  const id = (request.params as { id: string }).id;
  if (!CAMERA_ID_PATTERN.test(id) || !cameraIds.includes(id)) {
    throw new HttpError(404, 'CAMERA_NOT_FOUND', `no camera ${JSON.stringify(id.slice(0, 64))}`);
  }
  return id;
}

/** Recorded segments: listing, merged timeline, and the files themselves. */
export async function recordingRoutes(app: FastifyInstance, opts: RecordingsOptions): Promise<void> {
  const root = resolve(opts.dataDir);

  const camera = (request: FastifyRequest): string => requireCamera(request, opts.cameraIds());

  app.get('/api/cameras/:id/segments', async (request) => {
    const cameraId = camera(request);
    const { fromMs, toMs } = rangeQuery(request.query, opts.now(), opts.maxRangeMs);
    return opts.segments.listBrief(cameraId, fromMs, toMs).map(toJson);
  });

  app.get('/api/cameras/:id/timeline', async (request) => {
    const cameraId = camera(request);
    const { fromMs, toMs } = rangeQuery(request.query, opts.now(), opts.maxRangeMs);
    return opts.segments.timeline(cameraId, fromMs, toMs).map((s) => ({
      start: isoUtc(s.startMs),
      end: isoUtc(s.endMs),
      startMs: s.startMs,
      endMs: s.endMs,
    }));
  });

  // GET and HEAD as one route: fastify's automatic HEAD would drain the whole
  // file stream and report Content-Length 0.
  app.route({
    method: ['GET', 'HEAD'],
    url: '/api/segments/:id/file',
    handler: async (request, reply) => {
      const raw = (request.params as { id: string }).id;
      const id = /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(id)) {
        throw new HttpError(400, 'BAD_SEGMENT_ID', `segment id ${JSON.stringify(raw.slice(0, 64))} is not a positive integer`);
      }
      const row = opts.segments.get(id);
      if (!row) throw new HttpError(404, 'SEGMENT_NOT_FOUND', `no segment ${id}`);
      if (row.state === 'missing') throw missing(id);

      const file = insideDataDir(request, root, row);

      const open = row.state === 'open';
      try {
        return await serveFile(request, reply, {
          file,
          contentType: CONTENT_TYPES[row.format],
          // A growing file is served as far as it is written so players can follow it;
          // a closed one only up to the whole frames the row vouches for.
          length: open ? undefined : () => row.bytes,
          etag: (length) => `"${row.id}-${length}-${row.endMs}"`,
          cacheControl: open ? 'no-store' : 'private, no-cache',
          contentDisposition: `inline; filename="${row.cameraId}_${isoUtc(row.startMs).replace(/[:.]/g, '-')}.${row.format}"`,
        });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') {
          opts.segments.markMissing(id);
          request.log.warn({ segmentId: id, path: row.path }, 'segment file is gone; row marked missing');
          throw missing(id);
        }
        throw err;
      }
    },
  });
}

/** A row pointing outside dataDir is corruption or tampering: never follow it. */
export function insideDataDir(request: FastifyRequest, root: string, row: { id: number; path: string }): string {
  try {
    return resolveInside(root, row.path);
  } catch (err) {
    if (!(err instanceof PathEscapeError)) throw err;
    request.log.error({ segmentId: row.id, path: row.path, dataDir: root }, 'segment path escapes dataDir; refused');
    throw new HttpError(500, 'INTERNAL', 'segment path is outside the data directory');
  }
}

function missing(id: number): HttpError {
  return new HttpError(404, 'SEGMENT_MISSING', `the file of segment ${id} is no longer on disk`);
}

function toJson(r: SegmentListRow): SegmentJson {
  return {
    id: r.id,
    cameraId: r.cameraId,
    start: isoUtc(r.startMs),
    end: isoUtc(r.endMs),
    startMs: r.startMs,
    endMs: r.endMs,
    bytes: r.bytes,
    format: r.format,
    url: `/api/segments/${r.id}/file`,
    open: r.state === 'open',
    videoCodec: r.videoCodec,
    audioCodec: r.audioCodec,
    width: r.width,
    height: r.height,
    endReason: r.endReason,
  };
}
