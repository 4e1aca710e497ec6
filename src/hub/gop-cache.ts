import type { MediaFrame } from '../media/frame.js';

/**
 * The frames since the latest video keyframe (and the audio among them), so a
 * new viewer starts on a keyframe at once instead of waiting up to a GOP.
 * Bounded in bytes: a GOP too long to hold is dropped until the next keyframe.
 * Audio-only streams keep the last `audioOnlyMs` of audio.
 */
export class GopCache {
  private frames: MediaFrame[] = [];
  private bytes = 0;
  private hasVideo = false;

  constructor(
    private readonly maxBytes: number,
    private readonly audioOnlyMs = 1000,
  ) {}

  push(frame: MediaFrame): void {
    if (frame.track === 'video') {
      this.hasVideo = true;
      if (frame.keyframe) this.clear();
      else if (this.frames.length === 0) return; // no keyframe to start from
    } else if (this.hasVideo && this.frames.length === 0) {
      return;
    }
    if (this.bytes + frame.payload.length > this.maxBytes) {
      this.clear();
      return;
    }
    this.frames.push(frame);
    this.bytes += frame.payload.length;
    if (!this.hasVideo) this.trimAudio(frame.dts);
  }

  /** Frames to replay to a new viewer, starting on a keyframe (oldest first). */
  snapshot(): readonly MediaFrame[] {
    return this.frames.slice();
  }

  get byteLength(): number {
    return this.bytes;
  }

  clear(): void {
    this.frames = [];
    this.bytes = 0;
  }

  /** A new publisher: forget the old stream entirely. */
  reset(): void {
    this.clear();
    this.hasVideo = false;
  }

  private trimAudio(now: number): void {
    let drop = 0;
    while (drop < this.frames.length && now - this.frames[drop].dts > this.audioOnlyMs) {
      this.bytes -= this.frames[drop].payload.length;
      drop++;
    }
    if (drop > 0) this.frames = this.frames.slice(drop);
  }
}
