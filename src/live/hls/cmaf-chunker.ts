/**
 * CmafChunker: one publish run's frames in, CMAF chunks (moof + mdat) out.
 * Each chunk is an LL-HLS Partial Segment (draft-pantos-hls-rfc8216bis
 * 4.4.4.9); consecutive chunks make up the Media Segments.
 *
 * Why not Fmp4Fragmenter: it cuts either on time or only before keyframes;
 * HLS needs both at once: a part every ~200 ms, and segment boundaries exactly
 * before keyframes so every segment starts decodable (RFC 8216 4.3.5.1
 * EXT-X-INDEPENDENT-SEGMENTS). The sample timing (90 kHz video, sample-count
 * audio, monotone clocks) and the box writing are the same code it uses.
 *
 * Video is required: it drives the cuts and the first chunk starts on its
 * first keyframe. Audio before that keyframe is dropped.
 */
import type { CodecConfig, MediaFrame } from '../../media/frame.js';
import { audioTiming } from '../../mp4/audio-timing.js';
import { buildFragment, type TrafInput } from '../../mp4/fragment.js';
import { initSegment } from '../../mp4/init-segment.js';
import { trackFor, type TrackConfig } from '../../mp4/track-config.js';
import { AudioTimeline, MonotoneClock, VideoTimeline, type TimelineSample } from '../../mp4/track-timeline.js';

export type VideoConfig = Extract<CodecConfig, { track: 'video' }>;
export type AudioConfig = Extract<CodecConfig, { track: 'audio' }>;

export interface ChunkerOptions {
  video: VideoConfig;
  audio?: AudioConfig | null;
  /** a part is cut at the first video frame at least this long after the part's start, ms */
  partMs: number;
  /** a segment ends at the first keyframe at least this long after its start, ms */
  segmentMs: number;
  /** cut a segment here even without a keyframe (a camera with an endless GOP), ms */
  maxSegmentMs: number;
  /** decode time (ms) the run starts at: where the previous run ended, so time never goes back */
  startAtMs?: number;
  /** first mfhd sequence number */
  sequenceStart?: number;
}

export interface Chunk {
  /** moof + mdat, one Buffer */
  data: Buffer;
  /** decode time of its first video sample, ms */
  startMs: number;
  /** its video samples' total duration, ms */
  durationMs: number;
  /** starts with a video keyframe (EXT-X-PART INDEPENDENT=YES) */
  independent: boolean;
  /** the first chunk of a new Media Segment */
  segmentStart: boolean;
  /** the last chunk of its segment: the segment is complete with it (no waiting for the next part) */
  segmentEnd: boolean;
}

interface TrackState {
  track: TrackConfig;
  clock: MonotoneClock;
  timeline: VideoTimeline | AudioTimeline;
  samples: TimelineSample[];
}

export class CmafChunker {
  readonly tracks: TrackConfig[];
  private readonly video: TrackState;
  private readonly audio: TrackState | null;
  private readonly startAtMs: number;
  /** input dts mapped to decode time 0; set by the first keyframe */
  private timeBase: number | null = null;
  private firstDts = 0;
  private partStartMs: number;
  private segmentStartMs: number;
  private nextStartsSegment = true;
  /** next mfhd sequence number */
  sequence: number;
  /** decode time (ms) of the newest frame pushed */
  latestMs: number;
  /** decode time (ms) where the emitted media ends */
  endMs: number;

  constructor(private readonly opts: ChunkerOptions) {
    if (!(opts.partMs > 0 && opts.segmentMs >= opts.partMs && opts.maxSegmentMs >= opts.segmentMs)) {
      throw new RangeError('need 0 < partMs <= segmentMs <= maxSegmentMs');
    }
    this.startAtMs = opts.startAtMs ?? 0;
    this.partStartMs = this.segmentStartMs = this.latestMs = this.endMs = this.startAtMs;
    this.sequence = opts.sequenceStart ?? 1;
    const v = trackFor(opts.video);
    this.tracks = [v];
    this.video = { track: v, clock: new MonotoneClock(1), timeline: new VideoTimeline(v.timescale, 0), samples: [] };
    this.audio = null;
    if (opts.audio) {
      const a = trackFor(opts.audio);
      this.tracks.push(a);
      this.audio = { track: a, clock: new MonotoneClock(0), timeline: new AudioTimeline(audioTiming(opts.audio), 0), samples: [] };
    }
  }

  /** ftyp + moov for these tracks (the EXT-X-MAP resource). */
  initSegment(): Buffer {
    return initSegment(this.tracks);
  }

  push(frame: MediaFrame): Chunk[] {
    const state = frame.track === 'video' ? this.video : this.audio;
    if (!state || state.track.config.codec !== frame.codec) return [];
    if (this.timeBase === null) {
      if (frame.track !== 'video' || !frame.keyframe) return [];
      this.start(frame.dts);
    }
    // audio from before the first keyframe would start the track early
    if (frame.dts < this.firstDts) return [];
    const { dts } = state.clock.adjust(frame.dts, this.firstDts);
    const done =
      state.timeline instanceof VideoTimeline
        ? state.timeline.push(frame.payload, dts, frame.pts + (dts - frame.dts), frame.keyframe)
        : state.timeline.push(frame.payload, dts);
    if (done) state.samples.push(done);
    const ms = dts - this.timeBase!;
    this.latestMs = Math.max(this.latestMs, ms);
    if (frame.track !== 'video' || this.video.samples.length === 0) return [];

    // half a millisecond of slack: times are whole input ms plus a fractional start, and
    // 199.9999 must count as 200, or every cut slips by a frame
    const inSegment = ms - this.segmentStartMs + 0.5;
    const startsSegment = (frame.keyframe && inSegment >= this.opts.segmentMs) || inSegment >= this.opts.maxSegmentMs;
    if (!startsSegment && ms - this.partStartMs + 0.5 < this.opts.partMs) return [];
    const chunk = this.emit(ms, startsSegment);
    this.partStartMs = ms;
    if (startsSegment) this.segmentStartMs = ms;
    this.nextStartsSegment = startsSegment;
    return chunk ? [chunk] : [];
  }

  /** End of the run: the held-back samples get estimated durations and everything left is emitted. */
  flush(): Chunk[] {
    if (this.timeBase === null) return [];
    for (const s of [this.video, this.audio]) {
      if (!s) continue;
      const c = s.track.config;
      const fallback = c.track === 'video' && c.info.fps ? s.track.timescale / c.info.fps : s.track.timescale / 25;
      const last = s.timeline.finish(Math.round(fallback));
      if (last) s.samples.push(last);
    }
    const chunk = this.emit(Infinity, true);
    return chunk ? [chunk] : [];
  }

  private start(dts: number): void {
    this.firstDts = dts;
    this.timeBase = dts - this.startAtMs;
    // the timelines count ticks from the time base
    this.video.timeline = new VideoTimeline(this.video.track.timescale, this.timeBase);
    if (this.audio && this.opts.audio) this.audio.timeline = new AudioTimeline(audioTiming(this.opts.audio), this.timeBase);
  }

  /** The samples that start before `cutMs` as one chunk (null when there is no video sample). */
  private emit(cutMs: number, segmentEnd: boolean): Chunk | null {
    if (this.video.samples.length === 0) return null;
    const trafs: TrafInput[] = [];
    let startMs = 0;
    let durationMs = 0;
    let independent = false;
    for (const s of [this.video, this.audio]) {
      if (!s) continue;
      const cut = cutMs === Infinity ? Infinity : Math.round((cutMs * s.track.timescale) / 1000);
      let n = 0;
      while (n < s.samples.length && s.samples[n].start < cut) n++;
      const taken = s.samples.splice(0, n);
      if (taken.length === 0) continue;
      const last = taken[taken.length - 1];
      const toMs = (ticks: number) => (ticks * 1000) / s.track.timescale;
      this.endMs = Math.max(this.endMs, toMs(last.start + last.duration));
      if (s === this.video) {
        startMs = toMs(taken[0].start);
        durationMs = toMs(last.start + last.duration) - startMs;
        independent = taken[0].keyframe;
      }
      trafs.push({
        trackId: s.track.id,
        baseDecodeTime: taken[0].start,
        samples: taken.map((x) => ({ duration: x.duration, size: x.payload.length, flags: x.flags, compositionOffset: x.compositionOffset })),
        payloads: taken.map((x) => x.payload),
        compositionOffsets: s === this.video,
      });
    }
    const { parts, byteLength } = buildFragment(this.sequence++, trafs);
    // one copy per part: memory is counted exactly and no ingest buffer stays pinned
    const data = Buffer.concat(parts, byteLength);
    return { data, startMs, durationMs, independent, segmentStart: this.nextStartsSegment, segmentEnd };
  }
}
