import type { Logger } from 'pino';
import type { CameraStatus, CameraStatusSource, MotionStatusProvider } from './camera-status.js';
import { LiveStream, type Publisher } from './live-stream.js';

export interface HubCamera {
  id: string;
  name: string;
}

export interface StreamHubOptions {
  cameras: HubCamera[];
  /** a publisher silent this long is replaced by a new one for the same camera */
  staleTakeoverMs: number;
  log: Logger;
  now?: () => number;
}

export type ClaimResult = { ok: true; stream: LiveStream } | { ok: false; code: 'UNKNOWN_CAMERA' | 'ALREADY_PUBLISHING'; message: string };

/**
 * One live stream per configured camera id. Publishers claim a stream; consumers
 * (recorder, motion, viewers) attach to it whether or not it is live.
 */
export class StreamHub implements CameraStatusSource {
  private readonly streams = new Map<string, LiveStream>();
  private cameras: HubCamera[];
  private readonly now: () => number;
  private motionStatus: MotionStatusProvider | null = null;

  constructor(private readonly opts: StreamHubOptions) {
    this.now = opts.now ?? Date.now;
    this.cameras = [...opts.cameras];
    for (const cam of opts.cameras) this.streams.set(cam.id, new LiveStream(cam.id, opts.log, this.now));
  }

  stream(cameraId: string): LiveStream | undefined {
    return this.streams.get(cameraId);
  }

  /**
   * A publisher asks for a camera. A live publisher that is still sending keeps it;
   * one silent for staleTakeoverMs (a camera reconnecting before its old TCP
   * connection died, node-media-server PR#439) is closed and replaced.
   */
  claim(cameraId: string, publisher: Publisher): ClaimResult {
    const stream = this.streams.get(cameraId);
    if (!stream) return { ok: false, code: 'UNKNOWN_CAMERA', message: `no camera with id "${cameraId}"` };
    const current = stream.publisher;
    if (current) {
      const silentMs = this.now() - current.lastActivity();
      if (silentMs < this.opts.staleTakeoverMs) {
        return { ok: false, code: 'ALREADY_PUBLISHING', message: `camera "${cameraId}" is already published from ${current.peer}` };
      }
      this.opts.log.warn({ camera: cameraId, old: current.peer, new: publisher.peer, silentMs }, 'replacing a silent publisher');
      this.release(cameraId, current, 'replaced by a new publisher');
      current.close('replaced by a new publisher');
    }
    stream.startPublishing(publisher);
    return { ok: true, stream };
  }

  /** Ends a publisher's hold on its stream; a no-op if it was already replaced. */
  release(cameraId: string, publisher: Publisher, reason: string): void {
    const stream = this.streams.get(cameraId);
    if (stream?.publisher === publisher) stream.endPublishing(reason);
  }

  /** A camera added at runtime: its stream exists from now on (listed last). */
  add(cam: HubCamera): void {
    if (this.streams.has(cam.id)) return;
    this.cameras.push(cam);
    this.streams.set(cam.id, new LiveStream(cam.id, this.opts.log, this.now));
  }

  /** A camera's display name changed. */
  rename(cameraId: string, name: string): void {
    this.cameras = this.cameras.map((c) => (c.id === cameraId ? { ...c, name } : c));
  }

  /**
   * A camera removed at runtime: its publisher is ended and disconnected, its
   * consumers hear onPublishEnd then onStreamClosed (viewers close their
   * sockets) and are detached, and the stream is gone. Other cameras are untouched.
   */
  remove(cameraId: string, reason: string): void {
    const stream = this.streams.get(cameraId);
    if (!stream) return;
    this.disconnect(cameraId, reason);
    this.streams.delete(cameraId);
    this.cameras = this.cameras.filter((c) => c.id !== cameraId);
    stream.close(reason);
  }

  /** Ends a camera's current publish and closes its connection (a changed stream key, a removal). */
  disconnect(cameraId: string, reason: string): boolean {
    const s = this.streams.get(cameraId);
    const p = s?.publisher;
    if (!s || !p) return false;
    s.endPublishing(reason);
    p.close(reason);
    return true;
  }

  /** Closes every publisher (shutdown). */
  closeAll(reason: string): void {
    for (const s of this.streams.values()) {
      const p = s.publisher;
      if (p) {
        s.endPublishing(reason);
        p.close(reason);
      }
    }
  }

  /** The motion module reports each camera's motion status through this. */
  setMotionStatus(provider: MotionStatusProvider | null): void {
    this.motionStatus = provider;
  }

  list(): CameraStatus[] {
    return this.cameras.map((cam) => this.status(cam));
  }

  /** One camera's status, undefined for an id the hub does not have. */
  statusOf(cameraId: string): CameraStatus | undefined {
    const cam = this.cameras.find((c) => c.id === cameraId);
    return cam && this.status(cam);
  }

  private status(cam: HubCamera): CameraStatus {
    const s = this.streams.get(cam.id)!;
    const v = s.live ? s.videoInfo() : null;
    const a = s.live ? s.audioInfo() : null;
    return {
      id: cam.id,
      name: cam.name,
      live: s.live,
      recording: s.live && s.consumerCount('recorder') > 0,
      video: v ? { codec: v.codec, width: v.width, height: v.height, fps: v.fps ?? metadataFps(s) ?? s.stats.fps() } : null,
      audio: a ? { codec: a.codec, sampleRate: a.sampleRate, channels: a.channels } : null,
      bitrateKbps: s.live ? s.stats.bitrateKbps() : 0,
      viewers: s.consumerCount('viewer'),
      ...motionField(this.motionStatus?.(cam.id)),
    };
  }
}

function motionField(m: CameraStatus['motion']): Pick<CameraStatus, 'motion'> {
  return m ? { motion: m } : {};
}

function metadataFps(s: LiveStream): number | null {
  const f = s.metadata?.framerate;
  return typeof f === 'number' && f > 0 && f < 1000 ? f : null;
}
