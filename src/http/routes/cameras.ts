import type { FastifyInstance } from 'fastify';
import type { CameraStatus, CameraStatusSource } from '../../hub/camera-status.js';

/** GET /api/cameras: every configured camera, in config order. */
export async function cameraRoutes(app: FastifyInstance, opts: { cameras: CameraStatusSource }): Promise<void> {
  app.get('/api/cameras', async () => opts.cameras.list().map(toJson));
}

/** Copies exactly the contract's fields, so nothing internal a source carries leaks out. */
function toJson(c: CameraStatus): CameraStatus {
  return {
    id: c.id,
    name: c.name,
    live: c.live,
    recording: c.recording,
    video: c.video && { codec: c.video.codec, width: c.video.width, height: c.video.height, fps: c.video.fps },
    audio: c.audio && { codec: c.audio.codec, sampleRate: c.audio.sampleRate, channels: c.audio.channels },
    bitrateKbps: c.bitrateKbps,
    viewers: c.viewers,
    ...(c.source ? { source: c.source } : {}),
    // what the motion module says of this camera (decoder state, an event ongoing), when it runs
    ...(c.motion ? { motion: { ...c.motion } } : {}),
  };
}
