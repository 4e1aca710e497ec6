import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { exportMp4, type ExportSummary } from '../../export/export-mp4.js';
import { HttpError } from '../errors.js';
import { isoUtc, rangeQuery } from '../time-query.js';
import { insideDataDir, requireCamera, type RecordingsOptions } from './recordings.js';

/** `GET /api/cameras/:id/export.mp4?from=&to=`: one MP4 for the range, streamed as it is built. */
export async function exportRoutes(app: FastifyInstance, opts: RecordingsOptions): Promise<void> {
  app.get('/api/cameras/:id/export.mp4', async (request, reply) => {
    const cameraId = requireCamera(request, opts.cameraIds());
    const { fromMs, toMs } = rangeQuery(request.query, opts.now(), opts.maxRangeMs);
    const rows = opts.segments.list(cameraId, fromMs, toMs);
    if (rows.length === 0) throw new HttpError(404, 'NO_RECORDINGS', `camera ${cameraId} has no recordings between ${isoUtc(fromMs)} and ${isoUtc(toMs)}`);
    // held until the response has ended, or the client went away
    const release = opts.exportSlots?.acquire(request.ip, request.log.child({ camera: cameraId }));
    if (release) reply.raw.once('close', release);
    for (const row of rows) insideDataDir(request, opts.dataDir, row); // every file the export will open, before the first byte
    const name = `${cameraId}_${isoUtc(fromMs).replace(/[:.]/g, '-')}.mp4`;
    const videoOnly = tracksQuery(request.query) === 'video';
    const keyframesOnly = framesQuery(request.query) === 'key';
    const summary: ExportSummary = { frames: 0, stoppedAtConfigChange: false };
    const parts = exportMp4({ rows, dataDir: opts.dataDir, fromMs, toMs, videoOnly, keyframesOnly }, summary);
    // The first yield is the init segment, by which time the start keyframe is
    // known: players map media time 0 to X-Start-Ms (the keyframe at or before `from`).
    const first = await parts.next();
    // one Buffer per fragment: a few writes per second of video rather than one per frame
    const body = Readable.from(
      (async function* () {
        if (first.done) return;
        yield join(first.value);
        for await (const p of parts) yield join(p);
      })(),
      { objectMode: false },
    );
    body.on('error', (err) => request.log.error({ err, cameraId }, 'export failed mid-stream'));
    if (summary.startMs !== undefined) reply.header('X-Start-Ms', String(summary.startMs)).header('X-Start-Time', isoUtc(summary.startMs));
    if (summary.mimeType) reply.header('X-Codecs', summary.mimeType);
    return reply
      .type('video/mp4')
      .header('Content-Disposition', `attachment; filename="${name}"`)
      .header('Cache-Control', 'no-store')
      .send(body);
  });
}

const join = (parts: Buffer[]): Buffer => (parts.length === 1 ? parts[0] : Buffer.concat(parts));

/** `tracks=video` leaves the audio out (browser playback: MSE cannot play G.711); absent means all tracks. */
function tracksQuery(query: unknown): 'all' | 'video' {
  const v = (query as Record<string, unknown>).tracks;
  if (v === undefined || v === 'all') return 'all';
  if (v === 'video') return 'video';
  throw new HttpError(400, 'BAD_TRACKS', `tracks: ${JSON.stringify(String(v).slice(0, 32))} is not one of all, video`);
}

/** `frames=key`: keyframes only, video only (fast playback); absent means every frame. */
function framesQuery(query: unknown): 'all' | 'key' {
  const v = (query as Record<string, unknown>).frames;
  if (v === undefined || v === 'all') return 'all';
  if (v === 'key') return 'key';
  throw new HttpError(400, 'BAD_FRAMES', `frames: ${JSON.stringify(String(v).slice(0, 32))} is not one of all, key`);
}
