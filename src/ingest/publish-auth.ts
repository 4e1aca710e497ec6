import { createHash, timingSafeEqual } from 'node:crypto';
import { allowListFor, type AddressAllowList } from './address-allow-list.js';

export interface PublishCamera {
  id: string;
  streamKey?: string | null;
  /** addresses (CIDR blocks) this camera may publish from; absent or empty: any */
  publishFrom?: readonly string[] | null;
}

export type PublishCheck =
  | { ok: true }
  | { ok: false; code: 'UNKNOWN_CAMERA' | 'BAD_KEY' | 'ADDRESS_NOT_ALLOWED'; message: string };

/**
 * Checks a publisher against the config: the peer address against the global
 * allow-list (`rtmp.allowPublishFrom`), the camera id, the address against the
 * camera's own list (`cameras[].publishFrom`), then the stream key, compared
 * in constant time. The address goes first so a peer that may not publish at
 * all learns nothing about camera ids or keys.
 */
export function checkPublish(
  cameras: ReadonlyMap<string, PublishCamera>,
  cameraId: string,
  key: string | null,
  address: string,
  allowFrom: AddressAllowList | null = null,
): PublishCheck {
  if (allowFrom && !allowFrom.allows(address)) {
    return { ok: false, code: 'ADDRESS_NOT_ALLOWED', message: `address ${address} is not in rtmp.allowPublishFrom` };
  }
  const cam = cameras.get(cameraId);
  if (!cam) return { ok: false, code: 'UNKNOWN_CAMERA', message: `no camera with id "${cameraId}"` };
  if (!(allowListFor(cam.publishFrom)?.allows(address) ?? true)) {
    return { ok: false, code: 'ADDRESS_NOT_ALLOWED', message: `address ${address} is not in the publishFrom list of camera "${cameraId}"` };
  }
  if (!cam.streamKey) return { ok: true };
  if (key === null || !sameSecret(key, cam.streamKey)) {
    return { ok: false, code: 'BAD_KEY', message: key === null ? 'stream key missing' : 'wrong stream key' };
  }
  return { ok: true };
}

/** Hashing first makes the comparison length-independent. */
export function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}
