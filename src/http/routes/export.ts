import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { exportMp4 } from '../../export/export-mp4.js';
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
    // one Buffer per fragment: a few writes per second of video rather than one per frame
    const body = Readable.from(
      (async function* () {
        for await (const parts of exportMp4({ rows, dataDir: opts.dataDir, fromMs, toMs })) yield parts.length === 1 ? parts[0] : Buffer.concat(parts);
      })(),
      { objectMode: false },
    );
    body.on('error', (err) => request.log.error({ err, cameraId }, 'export failed mid-stream'));
    return reply
      .type('video/mp4')
      .header('Content-Disposition', `attachment; filename="${name}"`)
      .header('Cache-Control', 'no-store')
      .send(body);
  });
}
