import type { CameraConfig, RetentionConfig } from '../config/schema.js';

export const DAY_MS = 24 * 60 * 60 * 1000;

/** One camera's retention (config cameras[].retention). */
export interface CameraRule {
  /** continuous footage is kept this many days */
  days: number;
  /** footage overlapping a motion event is kept this many days (never less than `days`) */
  eventDays: number;
  /** the camera's footage stays under this many bytes */
  maxBytes?: number;
}

/** Volume-wide limits (config retention). */
export interface VolumeRule {
  maxBytes?: number;
  /** share of the volume's size, 0-100 */
  maxPercent?: number;
  minFreeBytes: number;
  /** share of the volume's size, 0-100 */
  minFreePercent: number;
}

export interface RetentionRules {
  cameras: Map<string, CameraRule>;
  /** for footage of cameras no longer in the config: the per-camera defaults */
  fallback: CameraRule;
  volume: VolumeRule;
}

/** The schema's per-camera defaults (config/schema.ts), for cameras removed from the config or through the API. */
export const FALLBACK: CameraRule = { days: 14, eventDays: 60 };

export function rulesFromConfig(cameras: readonly CameraConfig[], retention: RetentionConfig): RetentionRules {
  return {
    cameras: cameraRules(cameras),
    fallback: FALLBACK,
    volume: {
      maxBytes: retention.maxBytes,
      maxPercent: retention.maxPercent,
      minFreeBytes: retention.minFreeBytes,
      minFreePercent: retention.minFreePercent,
    },
  };
}

/** Each camera's own rule, by id. */
export function cameraRules(cameras: readonly Pick<CameraConfig, 'id' | 'retention'>[]): Map<string, CameraRule> {
  return new Map(cameras.map((c) => [c.id, { ...c.retention }]));
}

export function cameraRule(rules: RetentionRules, cameraId: string): CameraRule {
  return rules.cameras.get(cameraId) ?? rules.fallback;
}
