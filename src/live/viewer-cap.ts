/**
 * How many live viewers may watch at once, all cameras together and per
 * camera (`live.maxViewers`, `live.maxViewersPerCamera`). Every viewer costs
 * a socket and up to its backlog in memory, and a camera's uplink is shared
 * by all its viewers: a cap turns a flood into refusals instead of starving
 * the viewers already watching (and the recorder).
 */
import type { Logger } from 'pino';
import type { StreamHub } from '../hub/stream-hub.js';
import type { HlsLive } from './hls/hls-live.js';

export interface ViewerCapLimits {
  maxViewers: number;
  maxViewersPerCamera: number;
}

/** Current viewers (HTTP, WebSocket, RTMP play and HLS together). */
export interface ViewerCounts {
  camera(cameraId: string): number;
  total(): number;
}

export type ViewerAdmission = { ok: true } | { ok: false; code: 'TOO_MANY_VIEWERS'; message: string; retryAfterSeconds: number };

/** A full server frees up when someone stops watching: worth a retry after a while. */
const RETRY_AFTER_SECONDS = 10;

export class ViewerCap {
  constructor(
    private readonly limits: ViewerCapLimits,
    private readonly counts: ViewerCounts,
    private readonly log: Pick<Logger, 'warn'>,
  ) {}

  /** Whether one more viewer of the camera may start; a refusal is logged (once per refused request). */
  admit(cameraId: string, peer: string, transport: string): ViewerAdmission {
    const total = this.counts.total();
    const camera = this.counts.camera(cameraId);
    const limit = total >= this.limits.maxViewers ? 'maxViewers' : camera >= this.limits.maxViewersPerCamera ? 'maxViewersPerCamera' : null;
    if (!limit) return { ok: true };
    const message =
      limit === 'maxViewers'
        ? `${total} live viewers already, the most this server allows (live.maxViewers)`
        : `camera "${cameraId}" already has ${camera} live viewers, the most allowed (live.maxViewersPerCamera)`;
    this.log.warn({ camera: cameraId, peer, transport, limit, viewers: limit === 'maxViewers' ? total : camera }, `live viewer refused: ${limit} reached`);
    return { ok: false, code: 'TOO_MANY_VIEWERS', message, retryAfterSeconds: RETRY_AFTER_SECONDS };
  }
}

/** Viewers as the hub counts them (HTTP, WebSocket, RTMP play) plus HLS clients. */
export function liveViewerCounts(hub: StreamHub, hls: HlsLive): ViewerCounts {
  return {
    camera: (id) => (hub.stream(id)?.consumerCount('viewer') ?? 0) + hls.viewers(id),
    total: () => hub.list().reduce((n, c) => n + c.viewers + hls.viewers(c.id), 0),
  };
}
