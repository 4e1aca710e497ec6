/** When the disk fills at the current write rate: pure arithmetic over recent index rows. */

export interface RateRow {
  startMs: number;
  endMs: number;
  bytes: number;
  state: 'open' | 'closed' | 'missing';
}

/** A camera whose last segment ended longer ago than this, with none open, is not recording now. */
export const IDLE_MS = 30_000;

/**
 * A camera's bytes per second now: its bitrate over its recent segments
 * (bytes over recorded time, so gaps and deleted footage don't dilute it),
 * or 0 when it is not recording.
 */
export function cameraWriteRate(rows: readonly RateRow[], now: number): number {
  let bytes = 0;
  let ms = 0;
  let recording = false;
  for (const r of rows) {
    if (r.state === 'open' || r.endMs >= now - IDLE_MS) recording = true;
    if (r.endMs <= r.startMs) continue; // a segment just opened: no measure yet
    bytes += r.bytes;
    ms += r.endMs - r.startMs;
  }
  return recording && ms > 0 ? (bytes * 1000) / ms : 0;
}

/** When free space reaches zero at this rate, ignoring what retention deletes; null when nothing is written. */
export function fullAtMs(now: number, freeBytes: number, bytesPerSecond: number): number | null {
  if (bytesPerSecond <= 0) return null;
  return now + Math.round((Math.max(0, freeBytes) / bytesPerSecond) * 1000);
}
