/**
 * The motion module: one CameraMotion per camera with motion enabled,
 * attached to the hub like the recorder; the stores its routes read; and the
 * event bus that alerts and the SSE endpoint listen on.
 */
import type { Logger } from 'pino';
import type { CameraConfig, MotionConfig } from '../config/schema.js';
import { EventBus } from '../events/event-bus.js';
import { EventStore } from '../events/event-store.js';
import type { CameraMotionStatus } from '../hub/camera-status.js';
import type { StreamHub } from '../hub/stream-hub.js';
import type { Db } from '../storage/db.js';
import { CameraMotion, type CameraMotionSettings, type MotionDefaults } from './camera-motion.js';
import { chooseFfmpeg } from './ffmpeg-path.js';
import { ThumbnailStore } from './thumbnail-store.js';
import { FALLBACK } from '../retention/rules.js';

export interface StartedMotion {
  bus: EventBus;
  events: EventStore;
  thumbnails: ThumbnailStore;
  cameras: Map<string, CameraMotion>;
  status(cameraId: string): CameraMotionStatus | undefined;
  /** A camera added at runtime: detection starts when its motion is enabled. */
  added(cam: CameraConfig): void;
  /** A camera's settings changed: a change to its motion settings restarts its detector (or stops it). */
  updated(old: CameraConfig, cam: CameraConfig): void;
  /** A camera removed: its detector stops (an ongoing event ends). */
  removed(cameraId: string): void;
  /** Deletes thumbnails past each camera's retention.days and events past its eventDays. */
  prune(): void;
  stop(): Promise<void>;
}

const TICK_MS = 1000;
const PRUNE_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
/** Time constant of the running background (motion-detector.ts). */
const BACKGROUND_SECONDS = 10;

export function cameraMotionSettings(m: CameraConfig['motion']): CameraMotionSettings {
  return {
    detector: { sensitivity: m.sensitivity, minAreaPercent: m.minAreaPercent, zones: m.zones, masks: m.masks, backgroundSeconds: BACKGROUND_SECONDS },
    tracker: { minFrames: m.minFrames, endMs: Math.round(m.endSeconds * 1000), maxEventMs: m.maxEventSeconds * 1000 },
    extraFps: m.decodeFps > 0 ? m.decodeFps : null,
  };
}

export function startMotion(opts: {
  /** the cameras now; `cameras` is read again at each prune so runtime changes count */
  cameras: CameraConfig[] | (() => CameraConfig[]);
  motion: MotionConfig;
  hub: StreamHub;
  db: Db;
  /** shared with retention (EventSpans); made here when not given */
  events?: EventStore;
  /** shared with alerts, which start first so they hear the events that end at shutdown; made here when not given */
  bus?: EventBus;
  log: Logger;
  now?: () => number;
}): StartedMotion {
  const { log } = opts;
  const now = opts.now ?? Date.now;
  const events = opts.events ?? new EventStore(opts.db);
  const thumbnails = new ThumbnailStore(opts.db);
  const bus = opts.bus ?? new EventBus(log);
  const recovered = events.closeDangling();
  if (recovered > 0) log.warn({ count: recovered }, 'closed motion events left ongoing by a crash');

  const ffmpeg = chooseFfmpeg(opts.motion.ffmpegPath);
  const defaults: MotionDefaults = {
    ffmpegPath: ffmpeg.path,
    thumbnailWidth: opts.motion.thumbnailWidth,
    jpegQuality: opts.motion.jpegQuality,
    thumbnailIntervalMs: opts.motion.thumbnailIntervalMs,
    restartMinMs: opts.motion.restartMinMs,
    restartMaxMs: opts.motion.restartMaxMs,
  };
  const current = typeof opts.cameras === 'function' ? opts.cameras : () => opts.cameras as CameraConfig[];
  const cameras = new Map<string, CameraMotion>();
  const detach = new Map<string, () => void>();
  /** detectors stopping after a runtime change; stop() waits for them */
  const retiring = new Set<Promise<void>>();
  const start = (cam: CameraConfig, joinLive: boolean): void => {
    const stream = opts.hub.stream(cam.id);
    if (!cam.motion.enabled || !stream || cameras.has(cam.id)) return;
    const cm = new CameraMotion(cam.id, cameraMotionSettings(cam.motion), defaults, { thumbnails, events, bus }, log, now);
    cameras.set(cam.id, cm);
    detach.set(cam.id, stream.attach(cm.consumer, { joinLive }));
  };
  const retire = (cameraId: string, reason: 'settings-changed' | 'camera-removed'): void => {
    const cm = cameras.get(cameraId);
    if (!cm) return;
    detach.get(cameraId)?.();
    detach.delete(cameraId);
    cameras.delete(cameraId);
    const done = cm.stop(reason).catch((err: unknown) => log.error({ err, camera: cameraId }, 'motion stop failed'));
    retiring.add(done);
    void done.finally(() => retiring.delete(done));
  };
  for (const cam of current()) start(cam, false);
  if (cameras.size > 0) log.info({ ffmpeg: ffmpeg.path, source: ffmpeg.source, note: ffmpeg.note, cameras: [...cameras.keys()] }, 'motion detection on');

  const configured = new Set(current().map((c) => c.id));
  const status = (id: string): CameraMotionStatus | undefined => {
    if (!configured.has(id)) return undefined;
    return cameras.get(id)?.status() ?? { enabled: false, state: 'disabled', active: false };
  };
  opts.hub.setMotionStatus(status);

  const prune = (): void => {
    const t = now();
    // removed cameras' thumbnails and events go by the default rule, like their footage (retention/rules.ts)
    const cams: { id: string; retention: { days: number; eventDays: number } }[] = [...current()];
    const known = new Set(cams.map((c) => c.id));
    for (const id of new Set([...thumbnails.cameraIds(), ...events.cameraIds()])) if (!known.has(id)) cams.push({ id, retention: FALLBACK });
    for (const cam of cams) {
      try {
        const thumbs = thumbnails.deleteBefore(cam.id, t - cam.retention.days * DAY_MS);
        const old = events.deleteBefore(cam.id, t - Math.max(cam.retention.days, cam.retention.eventDays) * DAY_MS);
        if (thumbs || old) log.info({ camera: cam.id, thumbnails: thumbs, events: old }, 'pruned old thumbnails and events');
      } catch (err) {
        log.error({ err, camera: cam.id }, 'pruning thumbnails and events failed');
      }
    }
  };
  const ticker = setInterval(() => {
    for (const c of cameras.values()) c.tick();
  }, TICK_MS);
  ticker.unref();
  const pruner = setInterval(prune, PRUNE_MS);
  pruner.unref();
  const firstPrune = setTimeout(prune, 30_000);
  firstPrune.unref();

  return {
    bus,
    events,
    thumbnails,
    cameras,
    status,
    prune,
    added(cam) {
      configured.add(cam.id);
      start(cam, true);
    },
    updated(old, cam) {
      if (JSON.stringify(old.motion) === JSON.stringify(cam.motion)) return;
      retire(cam.id, 'settings-changed');
      start(cam, true);
      log.info({ camera: cam.id, enabled: cam.motion.enabled }, 'motion settings changed: detector restarted');
    },
    removed(cameraId) {
      configured.delete(cameraId);
      retire(cameraId, 'camera-removed');
    },
    async stop() {
      clearInterval(ticker);
      clearInterval(pruner);
      clearTimeout(firstPrune);
      for (const d of detach.values()) d();
      await Promise.all([...cameras.values()].map((c) => c.stop()));
      await Promise.all([...retiring]);
      opts.hub.setMotionStatus(null);
    },
  };
}
