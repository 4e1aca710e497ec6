import { createHash, timingSafeEqual } from 'node:crypto';

export interface PublishCamera {
  id: string;
  streamKey?: string | null;
}

export type PublishCheck = { ok: true } | { ok: false; code: 'UNKNOWN_CAMERA' | 'BAD_KEY'; message: string };

/** Checks a camera id and stream key against the config; keys compared in constant time. */
export function checkPublish(cameras: ReadonlyMap<string, PublishCamera>, cameraId: string, key: string | null): PublishCheck {
  const cam = cameras.get(cameraId);
  if (!cam) return { ok: false, code: 'UNKNOWN_CAMERA', message: `no camera with id "${cameraId}"` };
  if (!cam.streamKey) return { ok: true };
  if (key === null || !sameSecret(key, cam.streamKey)) {
    return { ok: false, code: 'BAD_KEY', message: key === null ? 'stream key missing' : 'wrong stream key' };
  }
  return { ok: true };
}

/** Hashing first makes the comparison length-independent. */
function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
