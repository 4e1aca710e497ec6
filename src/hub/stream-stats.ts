import type { MediaFrame } from '../media/frame.js';

const WINDOW_MS = 5000;

/**
 * Bitrate and frame rate over the last few seconds, from frame sizes and
 * arrival times. O(1) per frame: counts are kept per one-second bucket.
 */
export class StreamStats {
  private readonly buckets = new Map<number, { bytes: number; videoFrames: number }>();
  bytesTotal = 0;
  framesTotal = 0;

  constructor(private readonly now: () => number) {}

  add(frame: MediaFrame): void {
    const second = Math.floor(this.now() / 1000);
    let b = this.buckets.get(second);
    if (!b) {
      b = { bytes: 0, videoFrames: 0 };
      this.buckets.set(second, b);
      this.prune(second);
    }
    b.bytes += frame.payload.length;
    if (frame.track === 'video') b.videoFrames++;
    this.bytesTotal += frame.payload.length;
    this.framesTotal++;
  }

  /** Media bitrate over the window of complete seconds, kbit/s. */
  bitrateKbps(): number {
    const { bytes, seconds } = this.sum('bytes');
    return seconds === 0 ? 0 : Math.round((bytes * 8) / seconds / 1000);
  }

  /** Measured video frames per second, or null with too little data. */
  fps(): number | null {
    const { bytes: frames, seconds } = this.sum('videoFrames');
    return seconds === 0 || frames === 0 ? null : Math.round((frames / seconds) * 100) / 100;
  }

  reset(): void {
    this.buckets.clear();
  }

  /** Sums complete seconds only (the current one is still filling). */
  private sum(key: 'bytes' | 'videoFrames'): { bytes: number; seconds: number } {
    const current = Math.floor(this.now() / 1000);
    let total = 0;
    let seconds = 0;
    for (let s = current - WINDOW_MS / 1000; s < current; s++) {
      const b = this.buckets.get(s);
      if (b) {
        total += b[key];
        seconds++;
      }
    }
    return { bytes: total, seconds };
  }

  private prune(current: number): void {
    for (const s of this.buckets.keys()) if (s < current - WINDOW_MS / 1000 - 1) this.buckets.delete(s);
  }
}
