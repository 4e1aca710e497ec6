/**
 * Per-track decode timelines for the fragmenter: frames with ms times in,
 * samples with durations in the track's timescale out, one frame held back
 * (a sample's duration is the next sample's start minus its own).
 *
 * Decode times never go backwards: a publisher clock reset is clamped by
 * shifting the rest of the track to continue one frame interval after the
 * last sample, so no duration is ever negative.
 */
import type { AudioTiming } from './audio-timing.js';
import { SAMPLE_FLAGS_NON_SYNC, SAMPLE_FLAGS_SYNC } from './fragment.js';

export interface TimelineSample {
  payload: Buffer;
  /** decode time in the track's timescale, relative to the time base */
  start: number;
  duration: number;
  /** signed, in the track's timescale */
  compositionOffset: number;
  flags: number;
  keyframe: boolean;
}

type Pending = Omit<TimelineSample, 'duration'> & { nominal: number | null };

/** Makes one track's dts (ms) monotone; see the module comment. */
export class MonotoneClock {
  private shift = 0;
  private last: number | null = null;
  private step = 0;

  /** minStep: the smallest allowed increase (video 1 ms: equal dts would make a 0-length frame) */
  constructor(private readonly minStep: number) {}

  /** The adjusted dts, and whether this frame jumped backwards. `floor`: no dts below it. */
  adjust(dts: number, floor: number): { dts: number; jumped: boolean } {
    let d = dts + this.shift;
    let jumped = false;
    if (this.last === null) {
      if (d < floor) {
        this.shift += floor - d;
        d = floor;
      }
    } else if (d < this.last + this.minStep) {
      const target = this.last + Math.max(this.step, this.minStep);
      this.shift += target - d;
      d = target;
      jumped = true;
    } else {
      this.step = d - this.last;
    }
    this.last = d;
    return { dts: d, jumped };
  }
}

abstract class Timeline {
  protected pending: Pending | null = null;
  protected lastDuration: number | null = null;
  /** end of the last sample handed out, so a sample after finish() cannot overlap it */
  protected lastEnd = 0;

  constructor(
    readonly timescale: number,
    protected readonly timeBase: number,
  ) {}

  protected ticks(ms: number): number {
    return Math.round(((ms - this.timeBase) * this.timescale) / 1000);
  }

  protected complete(next: number): TimelineSample | null {
    const p = this.pending;
    if (!p) return null;
    const duration = Math.max(next - p.start, 0);
    this.lastDuration = duration;
    this.lastEnd = p.start + duration;
    const { nominal: _, ...sample } = p;
    return { ...sample, duration };
  }

  /** The held-back sample, its duration estimated (end of segment). */
  finish(fallbackDuration: number): TimelineSample | null {
    const p = this.pending;
    if (!p) return null;
    const out = this.complete(p.start + (p.nominal ?? this.lastDuration ?? fallbackDuration));
    this.pending = null;
    return out;
  }
}

export class VideoTimeline extends Timeline {
  /** `dts`/`pts`: ms, already monotone. Returns the previous frame, now complete. */
  push(payload: Buffer, dts: number, pts: number, keyframe: boolean): TimelineSample | null {
    const start = Math.max(this.ticks(dts), this.pending ? this.pending.start + 1 : this.lastEnd);
    const done = this.complete(start);
    this.pending = {
      payload,
      start,
      compositionOffset: Math.round(((pts - dts) * this.timescale) / 1000),
      flags: keyframe ? SAMPLE_FLAGS_SYNC : SAMPLE_FLAGS_NON_SYNC,
      keyframe,
      nominal: null,
    };
    return done;
  }
}

/**
 * Audio decode times come from sample counts; the frame's dts only re-anchors
 * the count when they disagree by more than one frame (a gap, or a clock that
 * runs fast or slow): the previous sample is then lengthened or shortened.
 */
export class AudioTimeline extends Timeline {
  /** how often the count was re-anchored to a dts */
  reanchors = 0;

  constructor(
    private readonly timing: AudioTiming,
    timeBase: number,
  ) {
    super(timing.timescale, timeBase);
  }

  push(payload: Buffer, dts: number): TimelineSample | null {
    const ideal = this.ticks(dts);
    const nominal = this.timing.samplesIn(payload);
    const p = this.pending;
    let start: number;
    if (!p) {
      start = Math.max(ideal, this.lastEnd);
    } else if (p.nominal !== null && Math.abs(ideal - (p.start + p.nominal)) <= p.nominal) {
      start = p.start + p.nominal;
    } else {
      if (p.nominal !== null) this.reanchors++;
      start = Math.max(ideal, p.start + 1);
    }
    const done = this.complete(start);
    this.pending = { payload, start, compositionOffset: 0, flags: SAMPLE_FLAGS_SYNC, keyframe: true, nominal };
    return done;
  }
}
