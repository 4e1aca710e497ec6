/**
 * Wall-clock time of a frame, the way the recorder dates segments
 * (src/recording/TIME.md): the first frame of a publish anchors media time to
 * its arrival time, later frames count from there, and the anchor is reset
 * when the two drift apart by more than maxDriftMs or media time jumps. So a
 * thumbnail or event at T is at T in the recordings too.
 */
export class MediaClock {
  private anchor: { mediaMs: number; wallMs: number } | null = null;
  private lastMediaMs = 0;

  constructor(
    private readonly maxDriftMs = 2000,
    private readonly maxJumpMs = 5000,
  ) {}

  reset(): void {
    this.anchor = null;
  }

  /** Wall time (ms UTC) of a frame with media time mediaMs that arrived at arrivalMs. */
  wall(mediaMs: number, arrivalMs: number): number {
    const a = this.anchor;
    const jumped = a !== null && (mediaMs < this.lastMediaMs - this.maxJumpMs || mediaMs > this.lastMediaMs + this.maxJumpMs);
    if (!a || jumped || Math.abs(a.wallMs + (mediaMs - a.mediaMs) - arrivalMs) > this.maxDriftMs) {
      this.anchor = { mediaMs, wallMs: arrivalMs };
    }
    this.lastMediaMs = mediaMs;
    return this.anchor!.wallMs + (mediaMs - this.anchor!.mediaMs);
  }
}
