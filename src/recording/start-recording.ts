import type { Logger } from 'pino';
import type { CameraConfig, RecordingConfig } from '../config/schema.js';
import type { StreamHub } from '../hub/stream-hub.js';
import { MAX_SEGMENT_MS, type Segments } from '../storage/segments.js';
import { Recorder, type StorageGate } from './recorder.js';

export interface StartedRecording {
  recorders: Map<string, Recorder>;
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
  const detach: (() => void)[] = [];
  for (const cam of opts.cameras) {
    if (!cam.recording.enabled) continue;
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
    detach.push(opts.hub.stream(cam.id)!.attach(recorder.consumer));
  }
  const timer = setInterval(() => {
    for (const r of recorders.values()) r.consumer.tick();
  }, TICK_MS);
  return {
    recorders,
    async stop() {
      clearInterval(timer);
      for (const d of detach) d();
      await Promise.all([...recorders.values()].map((r) => r.stop()));
    },
  };
}
