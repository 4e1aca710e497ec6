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

export interface StartedMotion {
  bus: EventBus;
  events: EventStore;
  thumbnails: ThumbnailStore;
  cameras: Map<string, CameraMotion>;
  status(cameraId: string): CameraMotionStatus | undefined;
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
  cameras: CameraConfig[];
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
  const cameras = new Map<string, CameraMotion>();
  const detach: (() => void)[] = [];
  for (const cam of opts.cameras) {
    if (!cam.motion.enabled) continue;
    const cm = new CameraMotion(cam.id, cameraMotionSettings(cam.motion), defaults, { thumbnails, events, bus }, log, now);
    cameras.set(cam.id, cm);
    detach.push(opts.hub.stream(cam.id)!.attach(cm.consumer));
  }
  if (cameras.size > 0) log.info({ ffmpeg: ffmpeg.path, source: ffmpeg.source, note: ffmpeg.note, cameras: [...cameras.keys()] }, 'motion detection on');

  const configured = new Set(opts.cameras.map((c) => c.id));
  const status = (id: string): CameraMotionStatus | undefined => {
    if (!configured.has(id)) return undefined;
    return cameras.get(id)?.status() ?? { enabled: false, state: 'disabled', active: false };
  };
  opts.hub.setMotionStatus(status);

  const prune = (): void => {
    const t = now();
    for (const cam of opts.cameras) {
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
    async stop() {
      clearInterval(ticker);
      clearInterval(pruner);
      clearTimeout(firstPrune);
      for (const d of detach) d();
      await Promise.all([...cameras.values()].map((c) => c.stop()));
      opts.hub.setMotionStatus(null);
    },
  };
}
