/**
 * Fmp4Fragmenter: media frames in, movie fragments (moof + mdat) out. A pure
 * state machine: no I/O, no clock. Times (ISO 14496-12 8.8.12 tfdt) are the
 * frames' ms decode times minus `timeBase`, in each track's timescale.
 *
 * Cutting: a fragment ends when a frame of the primary track (video, else
 * audio) arrives at least `fragmentMs` after the fragment's first sample;
 * with `keyframeAligned` (live/MSE) only before a video keyframe. After a
 * clock jump the next video keyframe always starts a fragment (MEDIA-NOTES
 * "FLV to fragmented MP4" 6). Audio samples that start after the cut time
 * go to the next fragment, so fragments cover the same span on all tracks.
 */
import type { CodecConfig, MediaFrame } from '../media/frame.js';
import { audioTiming } from './audio-timing.js';
import { buildFragment } from './fragment.js';
import { initSegment } from './init-segment.js';
import { trackFor, type TrackConfig } from './track-config.js';
import { AudioTimeline, MonotoneClock, VideoTimeline, type TimelineSample } from './track-timeline.js';

type VideoConfig = Extract<CodecConfig, { track: 'video' }>;
type AudioConfig = Extract<CodecConfig, { track: 'audio' }>;

export interface FragmenterOptions {
  video?: VideoConfig;
  audio?: AudioConfig;
  /** target fragment duration, ms (about 1000 for recording) */
  fragmentMs: number;
  /** cut only before video keyframes (live view over MSE) */
  keyframeAligned?: boolean;
  /** ms mapped to decode time 0; default the first frame's dts. Earlier frames are shifted up to it. */
  timeBase?: number;
  /** first mfhd sequence number (default 1) */
  sequenceStart?: number;
  videoTrackId?: number;
  audioTrackId?: number;
  /** safety cap when no cut point comes (stalled video, endless GOP), ms; default max(30 s, 4 x fragmentMs) */
  maxFragmentMs?: number;
}

export interface Fragment {
  /** moof + mdat header + the payloads (uncopied), for writev */
  parts: Buffer[];
  byteLength: number;
  /** ms on the input clock (frame.dts, after any clamping) of the fragment's first sample */
  startDts: number;
  /** ms: end of its last sample (start + duration) */
  endDts: number;
  /** playback can start here: its first video sample is a keyframe (no video yet, or audio-only: true) */
  keyframe: boolean;
  /** mfhd sequence_number */
  sequence: number;
}

export interface FragmenterStats {
  /** video frames before the first keyframe: undecodable, dropped */
  droppedBeforeKeyframe: number;
  /** frames of a track or codec the init segment does not have */
  ignored: number;
  /** backwards dts jumps clamped */
  clampedJumps: number;
  /** times the audio sample count was re-anchored to the frames' dts */
  audioReanchors: number;
}

interface TrackState {
  track: TrackConfig;
  clock: MonotoneClock;
  timeline: VideoTimeline | AudioTimeline;
  /** completed samples not yet in a fragment */
  samples: TimelineSample[];
}

export class Fmp4Fragmenter {
  readonly tracks: TrackConfig[];
  readonly stats: FragmenterStats = { droppedBeforeKeyframe: 0, ignored: 0, clampedJumps: 0, audioReanchors: 0 };
  private readonly opts: FragmenterOptions;
  private readonly maxFragmentMs: number;
  private timeBase: number | null;
  private video: TrackState | null = null;
  private audio: TrackState | null = null;
  private sequence: number;
  private seenKeyframe = false;
  private cutAtNextKeyframe = false;
  private videoEmitted = false;

  constructor(opts: FragmenterOptions) {
    if (!(opts.fragmentMs > 0)) throw new RangeError(`fragmentMs must be > 0 (got ${opts.fragmentMs})`);
    if (!opts.video && !opts.audio) throw new RangeError('a fragmenter needs a video or an audio config');
    this.opts = opts;
    this.maxFragmentMs = opts.maxFragmentMs ?? Math.max(30_000, 4 * opts.fragmentMs);
    this.timeBase = opts.timeBase ?? null;
    this.sequence = opts.sequenceStart ?? 1;
    this.tracks = [];
    if (opts.video) this.tracks.push(trackFor(opts.video, opts.videoTrackId));
    if (opts.audio) this.tracks.push(trackFor(opts.audio, opts.audioTrackId));
  }

  /** ftyp + moov matching the fragments. */
  initSegment(): Buffer {
    return initSegment(this.tracks);
  }

  push(frame: MediaFrame): Fragment[] {
    const config = frame.track === 'video' ? this.opts.video : this.opts.audio;
    if (!config || config.codec !== frame.codec) {
      this.stats.ignored++;
      return [];
    }
    if (frame.track === 'video' && !this.seenKeyframe) {
      if (!frame.keyframe) {
        this.stats.droppedBeforeKeyframe++;
        return [];
      }
      this.seenKeyframe = true;
    }
    this.timeBase ??= frame.dts;
    const state = this.state(frame.track);
    const { dts, jumped } = state.clock.adjust(frame.dts, this.timeBase);
    if (jumped) {
      this.stats.clampedJumps++;
      if (frame.track === 'video' || !this.video) this.cutAtNextKeyframe = true;
    }
    const done =
      state.timeline instanceof VideoTimeline
        ? state.timeline.push(frame.payload, dts, frame.pts + (dts - frame.dts), frame.keyframe)
        : state.timeline.push(frame.payload, dts);
    if (done) state.samples.push(done);
    this.syncStats();

    const first = this.firstStartMs();
    if (first === null) return [];
    const primary = frame.track === (this.opts.video ? 'video' : 'audio');
    let cut: number | null = null;
    if (primary && frame.keyframe && this.cutAtNextKeyframe) {
      cut = dts;
      this.cutAtNextKeyframe = false;
    } else if (primary && dts - first >= this.opts.fragmentMs && (frame.keyframe || (!this.opts.keyframeAligned && !this.cutAtNextKeyframe))) {
      cut = dts;
    } else if (dts - first >= this.maxFragmentMs) {
      cut = Infinity;
    }
    const fragment = cut === null ? null : this.emit(cut);
    return fragment ? [fragment] : [];
  }

  /** End of segment: the held-back samples get estimated durations and everything pending is emitted. */
  flush(): Fragment[] {
    for (const s of [this.video, this.audio]) {
      if (!s) continue;
      const fallback = s.track.config.track === 'video' && s.track.config.info.fps ? s.track.timescale / s.track.config.info.fps : s.track.timescale / 25;
      const last = s.timeline.finish(Math.round(fallback));
      if (last) s.samples.push(last);
    }
    const fragment = this.emit(Infinity);
    return fragment ? [fragment] : [];
  }

  private state(kind: 'video' | 'audio'): TrackState {
    const existing = kind === 'video' ? this.video : this.audio;
    if (existing) return existing;
    const track = this.tracks.find((t) => t.config.track === kind)!;
    const timeBase = this.timeBase!;
    const timeline =
      track.config.track === 'video'
        ? new VideoTimeline(track.timescale, timeBase)
        : new AudioTimeline(audioTiming(track.config), timeBase);
    const state: TrackState = { track, clock: new MonotoneClock(kind === 'video' ? 1 : 0), timeline, samples: [] };
    if (kind === 'video') this.video = state;
    else this.audio = state;
    return state;
  }

  private syncStats(): void {
    this.stats.audioReanchors = this.audio?.timeline instanceof AudioTimeline ? this.audio.timeline.reanchors : 0;
  }

  private ms(state: TrackState, ticks: number): number {
    return this.timeBase! + (ticks * 1000) / state.track.timescale;
  }

  private firstStartMs(): number | null {
    let first: number | null = null;
    for (const s of [this.video, this.audio]) {
      if (s && s.samples.length > 0) {
        const t = this.ms(s, s.samples[0].start);
        if (first === null || t < first) first = t;
      }
    }
    return first;
  }

  /** Emit the samples that start before `cutMs` as one fragment (null: there are none). */
  private emit(cutMs: number): Fragment | null {
    let startDts = Infinity;
    let endDts = -Infinity;
    // no video in it: fine to start here only if no video came before (the first one is a keyframe)
    let keyframe = !this.opts.video || !this.videoEmitted;
    const trafs = [];
    for (const s of [this.video, this.audio]) {
      if (!s) continue;
      let n = 0;
      while (n < s.samples.length && this.ms(s, s.samples[n].start) < cutMs) n++;
      const taken = s.samples.splice(0, n);
      if (s === this.video) keyframe = taken.length > 0 ? taken[0].keyframe : !this.videoEmitted;
      if (s === this.video && taken.length > 0) this.videoEmitted = true;
      if (taken.length === 0) continue;
      const last = taken[taken.length - 1];
      startDts = Math.min(startDts, this.ms(s, taken[0].start));
      endDts = Math.max(endDts, this.ms(s, last.start + last.duration));
      trafs.push({
        trackId: s.track.id,
        baseDecodeTime: taken[0].start,
        samples: taken.map((x) => ({ duration: x.duration, size: x.payload.length, flags: x.flags, compositionOffset: x.compositionOffset })),
        payloads: taken.map((x) => x.payload),
        compositionOffsets: s === this.video,
      });
    }
    if (trafs.length === 0) return null;
    const sequence = this.sequence++;
    const bytes = buildFragment(sequence, trafs);
    return { ...bytes, startDts: Math.round(startDts), endDts: Math.round(endDts), keyframe, sequence };
  }
}
