import type { Logger } from 'pino';
import type { CameraConfig, RecordingConfig } from '../config/schema.js';
import type { StreamHub } from '../hub/stream-hub.js';
import { MAX_SEGMENT_MS, type Segments } from '../storage/segments.js';
import { Recorder, type StorageGate } from './recorder.js';

export interface StartedRecording {
  recorders: Map<string, Recorder>;
  /** A camera added at runtime: recorded from its next keyframe when recording is enabled. */
  added(cam: CameraConfig): void;
  /**
   * A camera's settings changed: recording turned off closes the open segment
   * now, turned on starts at the next keyframe; a new format or segment length
   * closes the open segment at the next keyframe and the next one uses it.
   */
  updated(old: CameraConfig, cam: CameraConfig): void;
  /** A camera removed: its recorder finishes the open segment and goes. */
  removed(cameraId: string): void;
  stop(): Promise<void>;
}

/** Frames reach the OS at least this often (twice a second, so a crash costs under a second). */
const TICK_MS = 500;

/** One recorder per camera with recording enabled, attached to the hub. */
export function startRecording(opts: {
  cameras: CameraConfig[];
  recording: RecordingConfig;
  hub: StreamHub;
  segments: Segments;
  dataDir: string;
  log: Logger;
  now?: () => number;
  /** retention's hold on writing when the disk is full (src/retention/) */
  storage?: StorageGate;
}): StartedRecording {
  const recorders = new Map<string, Recorder>();
  const detach = new Map<string, () => void>();
  /** recorders finishing after a runtime change; stop() waits for them */
  const retiring = new Set<Promise<void>>();
  const start = (cam: CameraConfig): void => {
    const stream = opts.hub.stream(cam.id);
    if (!cam.recording.enabled || !stream || recorders.has(cam.id)) return;
    const r = opts.recording;
    const recorder = new Recorder({
      cameraId: cam.id,
      format: cam.recording.format,
      segmenter: {
        segmentMs: cam.recording.segmentSeconds * 1000,
        maxGapMs: r.maxGapMs,
        maxDriftMs: r.maxDriftMs,
        maxSegmentMs: MAX_SEGMENT_MS,
        videoWaitMs: 3000,
      },
      dataDir: opts.dataDir,
      segments: opts.segments,
      log: opts.log,
      fsyncIntervalMs: r.fsyncIntervalMs,
      indexIntervalMs: r.indexIntervalMs,
      maxQueuedBytes: r.maxQueuedBytes,
      now: opts.now,
      storage: opts.storage,
    });
    recorders.set(cam.id, recorder);
    detach.set(cam.id, stream.attach(recorder.consumer));
  };
  const retire = (cameraId: string, reason: string): void => {
    const recorder = recorders.get(cameraId);
    if (!recorder) return;
    detach.get(cameraId)?.();
    detach.delete(cameraId);
    recorders.delete(cameraId);
    const done = recorder.stop(reason).catch((err: unknown) => opts.log.error({ err, camera: cameraId }, 'recorder stop failed'));
    retiring.add(done);
    void done.finally(() => retiring.delete(done));
  };
  for (const cam of opts.cameras) start(cam);
  const timer = setInterval(() => {
    for (const r of recorders.values()) r.consumer.tick();
  }, TICK_MS);
  return {
    recorders,
    added: start,
    updated(old, cam) {
      const was = old.recording;
      const now = cam.recording;
      if (!now.enabled) return retire(cam.id, 'recording-disabled');
      if (!was.enabled || !recorders.has(cam.id)) return start(cam);
      if (was.format !== now.format || was.segmentSeconds !== now.segmentSeconds) {
        recorders.get(cam.id)!.reconfigure({ format: now.format, segmentMs: now.segmentSeconds * 1000 });
        opts.log.info({ camera: cam.id, format: now.format, segmentSeconds: now.segmentSeconds }, 'recording settings changed: new segment at the next keyframe');
      }
    },
    removed: (cameraId) => retire(cameraId, 'camera-removed'),
    async stop() {
      clearInterval(timer);
      for (const d of detach.values()) d();
      await Promise.all([...recorders.values()].map((r) => r.stop()));
      await Promise.all([...retiring]);
    },
  };
}
