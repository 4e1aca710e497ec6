import type { Segments } from '../storage/segments.js';
import { cameraWriteRate, fullAtMs } from './forecast.js';
import { floorBytes, volumeBudget, type DiskStats } from './planner.js';
import { cameraRule, type CameraRule, type RetentionRules, type VolumeRule } from './rules.js';
import { turn } from './turn.js';
import type { Alert } from './hold.js';
import type { PassReport } from './retention.js';

/** The bitrate is measured over this much recent footage. */
export const RATE_WINDOW_MS = 10 * 60_000;

export interface CameraStorage {
  id: string;
  /** false: footage of a camera no longer in the config (kept by the default rules) */
  configured: boolean;
  bytes: number;
  segments: number;
  oldestMs: number | null;
  bytesPerSecond: number;
  rule: CameraRule;
}

export interface StorageReport {
  dataDir: string;
  nowMs: number;
  disk: DiskStats & { floorBytes: number };
  /** all cameras' footage */
  bytes: number;
  /** the volume-wide footage budget in bytes (maxBytes / maxPercent), null without one */
  budgetBytes: number | null;
  bytesPerSecond: number;
  /** when free space runs out at the current write rate, not counting what retention deletes */
  fullAtMs: number | null;
  paused: boolean;
  alerts: Alert[];
  schedule: string;
  volume: VolumeRule;
  cameras: CameraStorage[];
  lastPass: PassReport | null;
}

/** Reads the index (a sum over each camera's rows, a turn for ingest between cameras) and puts the numbers together. */
export async function storageReport(input: {
  segments: Segments;
  rules: RetentionRules;
  schedule: string;
  dataDir: string;
  disk: DiskStats;
  now: number;
  paused: boolean;
  alerts: Alert[];
  lastPass: PassReport | null;
}): Promise<StorageReport> {
  const { segments, rules, now, disk } = input;
  const ids = [...rules.cameras.keys()];
  for (const id of segments.cameraIds()) if (!rules.cameras.has(id)) ids.push(id);
  const cameras: CameraStorage[] = [];
  for (const id of ids) {
    if (cameras.length > 0) await turn();
    const u = segments.usage(id);
    const recent = segments.listBrief(id, now - RATE_WINDOW_MS, now + 1);
    cameras.push({
      id,
      configured: rules.cameras.has(id),
      bytes: u.bytes,
      segments: u.segments,
      oldestMs: u.oldestMs,
      bytesPerSecond: Math.round(cameraWriteRate(recent, now)),
      rule: cameraRule(rules, id),
    });
  }
  const bytesPerSecond = cameras.reduce((n, c) => n + c.bytesPerSecond, 0);
  return {
    dataDir: input.dataDir,
    nowMs: now,
    disk: { ...disk, floorBytes: floorBytes(rules.volume, disk) },
    bytes: cameras.reduce((n, c) => n + c.bytes, 0),
    budgetBytes: volumeBudget(rules.volume, disk),
    bytesPerSecond,
    fullAtMs: fullAtMs(now, disk.freeBytes, bytesPerSecond),
    paused: input.paused,
    alerts: input.alerts,
    schedule: input.schedule,
    volume: rules.volume,
    cameras,
    lastPass: input.lastPass,
  };
}
