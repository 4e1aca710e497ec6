/**
 * Fragmented-MP4 live format for Media Source Extensions: an init segment,
 * then one small moof+mdat per video frame. The viewer starts it on a
 * keyframe, so the first fragment is a random access point; later fragments
 * need not be (MSE only needs a keyframe after a discontinuity, MEDIA-NOTES
 * "FLV to fragmented MP4" 6, and the viewer resumes on keyframes after skips).
 *
 * Fragment size: every video frame closes a fragment (`fragmentMs` 1), so a
 * frame leaves as soon as the next one gives its duration: one frame interval
 * of latency (40 ms at 25 fps), for ~100 bytes of moof per frame. Cutting only
 * on keyframes would mean a GOP (2 s or more) of added latency.
 */
import type { MediaFrame } from '../media/frame.js';
import { Fmp4Fragmenter, type Fragment } from '../mp4/fragmenter.js';
import { mimeType, trackFor } from '../mp4/track-config.js';
import { sameConfig } from './flv-live.js';
import type { Unit } from './transports.js';
import type { AudioConfig, LiveFormat, LiveTracks, VideoConfig } from './viewer.js';

export const MP4_CONTENT_TYPE = 'video/mp4';
/** ms: > 0 and below any frame interval, so each primary-track frame cuts (see above) */
export const LIVE_FRAGMENT_MS = 1;

/**
 * G.711 cannot go into MSE: no browser plays alaw/ulaw in MP4 (go2rtc
 * transcodes it). mp4 viewers of a G.711 camera get video only; the FLV
 * endpoint and recordings keep the audio.
 */
function mseAudio(audio: AudioConfig | null): AudioConfig | null {
  return audio && (audio.codec === 'pcma' || audio.codec === 'pcmu') ? null : audio;
}

/** The MIME type an mp4 viewer of these tracks will get (the X-Codecs header), or null when there is nothing to play. */
export function liveMimeType(video: VideoConfig | null, audio: AudioConfig | null): string | null {
  const configs = [video, mseAudio(audio)].filter((c) => c !== null);
  try {
    return configs.length > 0 ? mimeType(configs.map((c) => trackFor(c))) : null;
  } catch {
    return null; // a config audioTiming cannot read: the viewer will say more when it starts
  }
}

export class Mp4LiveFormat implements LiveFormat {
  readonly name = 'mp4';
  private fragmenter: Fmp4Fragmenter | null = null;
  private video: VideoConfig | null = null;
  private audio: AudioConfig | null = null;
  private nextSequence = 1;
  /** fragments emitted, and the media time they covered (ms), for measurements */
  readonly stats = { fragments: 0, firstMs: 0, endMs: 0 };

  constructor(private readonly fragmentMs = LIVE_FRAGMENT_MS) {}

  begin(tracks: LiveTracks): Unit[] | null {
    this.video = tracks.video;
    this.audio = mseAudio(tracks.audio);
    if (!this.video && !this.audio) return null; // G.711-only camera: nothing MSE can play
    return [[this.newFragmenter().initSegment()]];
  }

  reconfigure(tracks: LiveTracks): Unit[] | null {
    // The track set is fixed at begin: MSE rejects a new init segment with a
    // different number of tracks. A track that has no config yet keeps its old one.
    const video = this.video && (tracks.video ?? this.video);
    const audio = this.audio && (mseAudio(tracks.audio) ?? this.audio);
    if (sameConfig(video, this.video) && sameConfig(audio, this.audio)) return [];
    // another codec needs SourceBuffer.changeType(): let the client start over
    if (video?.codec !== this.video?.codec || audio?.codec !== this.audio?.codec) return null;
    const units = this.flush();
    this.video = video;
    this.audio = audio;
    units.push([this.newFragmenter().initSegment()]);
    return units;
  }

  frame(frame: MediaFrame): Unit[] {
    return this.units(this.fragmenter?.push(frame) ?? []);
  }

  flush(): Unit[] {
    return this.units(this.fragmenter?.flush() ?? []);
  }

  mimeType(): string | null {
    return this.fragmenter ? mimeType(this.fragmenter.tracks) : null;
  }

  private newFragmenter(): Fmp4Fragmenter {
    this.fragmenter = new Fmp4Fragmenter({
      video: this.video ?? undefined,
      audio: this.audio ?? undefined,
      fragmentMs: this.fragmentMs,
      // frames arrive rebased to the viewer's clock: decode times continue across init segments
      timeBase: 0,
      sequenceStart: this.nextSequence,
    });
    return this.fragmenter;
  }

  private units(fragments: Fragment[]): Unit[] {
    for (const f of fragments) {
      this.nextSequence = f.sequence + 1;
      if (this.stats.fragments++ === 0) this.stats.firstMs = f.startDts;
      this.stats.endMs = Math.max(this.stats.endMs, f.endDts);
    }
    return fragments.map((f) => f.parts);
  }
}
