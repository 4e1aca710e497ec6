/**
 * Per published stream: RTMP audio/video messages in, codec configs and
 * frames out. Keeps what a single message cannot know on its own: the
 * unwrapped clock of each track, the current configs (to emit a config only
 * when it changes) and the NAL length size of the current video config.
 *
 * Ownership: `body` must not be reused by the caller after push(); frames
 * may be subarrays of it. Config records are copies.
 *
 * Errors: unsupported codecs and packet kinds become warnings (skips); only
 * structural damage of a supported codec throws, always a ProtocolError.
 */
import type { CodecConfig, MediaFrame, Track } from './frame.js';
import { opusConfig, type AudioConfig } from './flv-audio.js';
import { configFromParameterSets, parameterSetsInFrame, parseAudioBody, parseVideoBody, type VideoConfig } from './flv-media.js';
import { TimestampUnwrapper } from './timestamp-unwrap.js';

export type DemuxOutput =
  | { type: 'config'; config: CodecConfig }
  | { type: 'frame'; frame: MediaFrame }
  /** something was dropped or skipped; the caller rate-limits logging */
  | { type: 'warning'; message: string };

export interface DemuxStats {
  videoFrames: number;
  audioFrames: number;
  /** video frames dropped because no usable video config had arrived yet */
  droppedVideoBeforeConfig: number;
  /** AAC frames dropped because no AudioSpecificConfig had arrived yet */
  droppedAudioBeforeConfig: number;
  /** messages skipped (unsupported codec, metadata, command frames, ...) */
  skipped: number;
}

function sameConfig(a: CodecConfig | null, b: CodecConfig): boolean {
  if (!a || a.track !== b.track || a.codec !== b.codec || !a.record.equals(b.record)) return false;
  // G.711 and MP3 have empty records: the info (rate, channels) tells them apart
  return JSON.stringify(a.info) === JSON.stringify(b.info);
}

export class FlvDemuxer {
  readonly stats: DemuxStats = {
    videoFrames: 0,
    audioFrames: 0,
    droppedVideoBeforeConfig: 0,
    droppedAudioBeforeConfig: 0,
    skipped: 0,
  };
  private readonly clocks: Record<Track, TimestampUnwrapper> = {
    video: new TimestampUnwrapper(),
    audio: new TimestampUnwrapper(),
  };
  private video: VideoConfig | null = null;
  private audio: AudioConfig | null = null;
  /** NAL length size of the publisher's frames under the current video config */
  private nalLengthSize = 4;

  get videoConfig(): VideoConfig | null {
    return this.video;
  }

  get audioConfig(): AudioConfig | null {
    return this.audio;
  }

  /**
   * Feed one RTMP audio (type 8) or video (type 9) message body with its raw
   * 32-bit timestamp (ms). Returns zero or more outputs in order: a config
   * always precedes the frames that need it.
   */
  push(track: Track, timestamp: number, body: Buffer): DemuxOutput[] {
    const dts = this.unwrap(track, timestamp);
    return track === 'video' ? this.pushVideo(dts, body) : this.pushAudio(dts, body);
  }

  private unwrap(track: Track, raw: number): number {
    const clock = this.clocks[track];
    if (clock.current === null) {
      // a track that starts late joins the other track's 2^32 epoch
      const other = this.clocks[track === 'video' ? 'audio' : 'video'].current;
      if (other !== null) clock.seed(other);
    }
    return clock.unwrap(raw);
  }

  private skip(track: Track, reason: string, quiet?: boolean): DemuxOutput[] {
    this.stats.skipped++;
    return quiet ? [] : [{ type: 'warning', message: `${track}: ${reason}` }];
  }

  private setVideoConfig(config: VideoConfig, nalLengthSize: number, out: DemuxOutput[]): void {
    this.nalLengthSize = nalLengthSize;
    if (sameConfig(this.video, config)) return;
    this.video = config;
    out.push({ type: 'config', config });
  }

  private setAudioConfig(config: AudioConfig, out: DemuxOutput[]): void {
    if (sameConfig(this.audio, config)) return;
    this.audio = config;
    out.push({ type: 'config', config });
  }

  private pushVideo(dts: number, body: Buffer): DemuxOutput[] {
    const r = parseVideoBody(body, dts, this.nalLengthSize);
    const out: DemuxOutput[] = [];
    switch (r.kind) {
      case 'skip':
        return this.skip('video', r.reason, r.quiet);
      case 'end':
        return out;
      case 'config':
        this.setVideoConfig(r.config, r.nalLengthSize, out);
        return out;
      case 'frame': {
        const frame = r.frame;
        if (!this.video || this.video.codec !== frame.codec) {
          // no sequence header (yet): a keyframe with in-band parameter sets will do
          const inband = frame.keyframe ? configFromParameterSets(frame.codec, parameterSetsInFrame(frame)) : null;
          if (!inband) {
            this.stats.droppedVideoBeforeConfig++;
            out.push({
              type: 'warning',
              message: `video: ${frame.codec} frame dropped before its sequence header (${this.stats.droppedVideoBeforeConfig} so far)`,
            });
            return out;
          }
          // the frame was already normalized with the old length size; it is 4 from now on
          this.setVideoConfig(inband, 4, out);
        }
        this.stats.videoFrames++;
        out.push({ type: 'frame', frame });
        return out;
      }
    }
  }

  private pushAudio(dts: number, body: Buffer): DemuxOutput[] {
    const r = parseAudioBody(body, dts);
    const out: DemuxOutput[] = [];
    switch (r.kind) {
      case 'skip':
        return this.skip('audio', r.reason, r.quiet);
      case 'end':
        return out;
      case 'config':
        this.setAudioConfig(r.config, out);
        return out;
      case 'frame': {
        const frame = r.frame;
        if (r.impliedConfig) {
          this.setAudioConfig(r.impliedConfig, out);
        } else if (!this.audio || this.audio.codec !== frame.codec) {
          if (frame.codec === 'opus') {
            // Opus may omit its sequence start: default stereo (E-RTMP v2)
            this.setAudioConfig(opusConfig(Buffer.alloc(0)), out);
          } else {
            this.stats.droppedAudioBeforeConfig++;
            out.push({ type: 'warning', message: `audio: ${frame.codec} frame dropped before its sequence header (${this.stats.droppedAudioBeforeConfig} so far)` });
            return out;
          }
        }
        this.stats.audioFrames++;
        out.push({ type: 'frame', frame });
        return out;
      }
    }
  }
}
