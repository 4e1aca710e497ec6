import type { MediaFrame } from '../media/frame.js';

export interface SegmenterOptions {
  /** target segment length: cut at the first keyframe at or after it */
  segmentMs: number;
  /** a jump or a silence longer than this ends the run (a gap in the index) */
  maxGapMs: number;
  /** media time and the server clock may disagree by this much before a re-anchor */
  maxDriftMs: number;
  /** hard cut, even without a keyframe (keeps range queries bounded) */
  maxSegmentMs: number;
  /** how long to wait for video before treating a stream as audio-only */
  videoWaitMs: number;
}

export type SegmenterEvent =
  | { type: 'open'; startMs: number; startDts: number }
  | { type: 'frame'; frame: MediaFrame; wallMs: number }
  | { type: 'close'; endMs: number; reason: string };

interface Run {
  anchorWall: number;
  anchorDts: number;
  lastDts: { video: number | null; audio: number | null };
  lastArrival: number;
  /** wall time just after the last frame written */
  endMs: number;
  lastVideoStep: number;
  lastAudioStep: number;
}

/**
 * Decides where segments start and end, and the wall-clock time of every
 * frame (src/recording/TIME.md). Pure: frames and their arrival times in,
 * open/frame/close events out.
 */
export class Segmenter {
  private run: Run | null = null;
  private segStart: number | null = null;
  private audioOnly = false;
  private firstAudioArrival: number | null = null;
  /** the next segment-starting frame cuts, whatever the length, for this reason */
  private cutReason: string | null = null;

  constructor(private opts: SegmenterOptions) {}

  /** A new target length; it applies to the open segment too. */
  setSegmentMs(segmentMs: number): void {
    this.opts = { ...this.opts, segmentMs };
  }

  /**
   * The open segment ends at the next keyframe, which starts the next one: no
   * frame is lost and the two are contiguous (settings changed at runtime).
   * Without an open segment there is nothing to cut.
   */
  cutAtNextStart(reason: string): void {
    if (this.segStart !== null) this.cutReason = reason;
  }

  get open(): boolean {
    return this.segStart !== null;
  }

  push(frame: MediaFrame, arrivalMs: number): SegmenterEvent[] {
    const out: SegmenterEvent[] = [];
    const run = this.run;
    if (run) {
      const reason = this.discontinuity(run, frame, arrivalMs);
      if (reason) this.end(reason, out);
    }
    if (!this.run) {
      if (!this.canStart(frame, arrivalMs)) return out;
      this.startRun(frame, arrivalMs);
    }
    const r = this.run!;
    const wallMs = r.anchorWall + (frame.dts - r.anchorDts);
    if (this.segStart === null) {
      if (!this.startsSegment(frame)) return out; // after a cut: wait for the next keyframe
      this.openSegment(wallMs, frame.dts, out);
    } else if (this.startsSegment(frame)) {
      const length = wallMs - this.segStart;
      if (this.cutReason !== null) this.cut(this.cutReason, wallMs, frame.dts, out);
      else if (length >= this.opts.segmentMs) this.cut('duration', wallMs, frame.dts, out);
      else if (Math.abs(wallMs - arrivalMs) > this.opts.maxDriftMs) {
        // re-anchor on this keyframe: end the run here, start a new one at its arrival time
        this.end('drift', out);
        this.startRun(frame, arrivalMs);
        return [...out, ...this.push(frame, arrivalMs)];
      }
    } else if (wallMs - this.segStart >= this.opts.maxSegmentMs) {
      this.cut('max-length', wallMs, frame.dts, out);
    }
    this.track(r, frame, arrivalMs, wallMs);
    out.push({ type: 'frame', frame, wallMs });
    return out;
  }

  /** Closes the segment but keeps the run: the next keyframe opens a contiguous one (config change). */
  cutAtNextKeyframe(reason: string): SegmenterEvent[] {
    const out: SegmenterEvent[] = [];
    if (this.segStart !== null && this.run) {
      out.push({ type: 'close', endMs: this.run.endMs, reason });
      this.segStart = null;
      this.cutReason = null;
    }
    return out;
  }

  /** The publisher went away or we are shutting down. */
  finish(reason: string): SegmenterEvent[] {
    const out: SegmenterEvent[] = [];
    this.end(reason, out);
    this.firstAudioArrival = null;
    this.audioOnly = false;
    return out;
  }

  private discontinuity(run: Run, frame: MediaFrame, arrivalMs: number): string | null {
    if (arrivalMs - run.lastArrival > this.opts.maxGapMs) return 'gap';
    const last = run.lastDts[frame.track];
    if (last === null) return null;
    // within a track dts never goes back by more than interleave jitter
    if (frame.dts < last - 1000 || frame.dts - last > this.opts.maxGapMs) return 'timestamp-jump';
    return null;
  }

  private canStart(frame: MediaFrame, arrivalMs: number): boolean {
    if (frame.track === 'video') return frame.keyframe;
    this.firstAudioArrival ??= arrivalMs;
    // audio may come seconds before video (mediamtx#2790); without video for a while, record audio alone
    if (!this.audioOnly && arrivalMs - this.firstAudioArrival >= this.opts.videoWaitMs) this.audioOnly = true;
    return this.audioOnly;
  }

  private startsSegment(frame: MediaFrame): boolean {
    return this.audioOnly ? frame.track === 'audio' : frame.track === 'video' && frame.keyframe;
  }

  private startRun(frame: MediaFrame, arrivalMs: number): void {
    if (frame.track === 'video') this.audioOnly = false;
    this.run = {
      anchorWall: arrivalMs,
      anchorDts: frame.dts,
      lastDts: { video: null, audio: null },
      lastArrival: arrivalMs,
      endMs: arrivalMs,
      lastVideoStep: 0,
      lastAudioStep: 0,
    };
  }

  private openSegment(wallMs: number, dts: number, out: SegmenterEvent[]): void {
    this.segStart = wallMs;
    this.cutReason = null;
    out.push({ type: 'open', startMs: wallMs, startDts: dts });
  }

  /** A boundary inside a run: the old segment ends exactly where the new one starts. */
  private cut(reason: string, wallMs: number, dts: number, out: SegmenterEvent[]): void {
    out.push({ type: 'close', endMs: wallMs, reason });
    this.openSegment(wallMs, dts, out);
  }

  private end(reason: string, out: SegmenterEvent[]): void {
    if (this.segStart !== null && this.run) out.push({ type: 'close', endMs: this.run.endMs, reason });
    this.segStart = null;
    this.run = null;
    this.cutReason = null;
  }

  private track(r: Run, frame: MediaFrame, arrivalMs: number, wallMs: number): void {
    const last = r.lastDts[frame.track];
    if (last !== null && frame.dts > last) {
      if (frame.track === 'video') r.lastVideoStep = frame.dts - last;
      else r.lastAudioStep = frame.dts - last;
    }
    r.lastDts[frame.track] = Math.max(frame.dts, last ?? frame.dts);
    r.lastArrival = arrivalMs;
    const step = frame.track === 'video' ? r.lastVideoStep : r.lastAudioStep;
    r.endMs = Math.max(r.endMs, wallMs + step);
  }
}
