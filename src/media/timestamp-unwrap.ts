/**
 * RTMP timestamps are 32-bit milliseconds and wrap after 2^32 ms (49.7 days).
 * We unwrap them with serial-number arithmetic (RFC 1982 style): each new
 * value moves the unwrapped clock by the signed 32-bit difference from the
 * previous one. A wrap (0xFFFFFFF0 -> 0x10) is then a small forward step, and
 * a small backwards step (audio/video interleave, clock jitter) stays a small
 * negative delta instead of a 49-day jump. Results are exact integers far
 * below 2^53.
 */
export class TimestampUnwrapper {
  private last: number | null = null;

  /** The most recent unwrapped value, or null before the first. */
  get current(): number | null {
    return this.last;
  }

  /**
   * Start from a known unwrapped value instead of taking the first raw
   * timestamp at face value: lets a track that starts late (audio seconds
   * after video) land in the same 2^32 epoch as the other track.
   */
  seed(unwrapped: number): void {
    this.last = unwrapped;
  }

  unwrap(raw: number): number {
    const ts = raw >>> 0;
    if (this.last === null) {
      this.last = ts;
      return ts;
    }
    // ToInt32 reduces modulo 2^32 into [-2^31, 2^31): the serial-number delta
    const delta = (ts - this.last) | 0;
    this.last += delta;
    return this.last;
  }
}
