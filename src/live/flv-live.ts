/**
 * HTTP-FLV / WebSocket-FLV live format (what ffplay, VLC and mpegts.js/flv.js
 * read): FLV header, onMetaData, sequence headers, then one tag per frame
 * with ms timestamps from 0. FLV carries sequence headers in-stream, so a
 * publisher reconnect with new codec settings just sends the new ones.
 */
import { flvConfigTag, flvFileHeader, flvFrameTag, flvScriptTag } from '../flv/flv-muxer.js';
import type { CodecConfig, MediaFrame } from '../media/frame.js';
import type { Unit } from './transports.js';
import type { AudioConfig, LiveFormat, LiveTracks, VideoConfig } from './viewer.js';

export const FLV_CONTENT_TYPE = 'video/x-flv';

/** FLV VIDEODATA CodecID / Enhanced RTMP, AUDIODATA SoundFormat, as onMetaData numbers (ffmpeg's flvenc writes these). */
const VIDEO_CODEC_IDS = { h264: 7, h265: 12 } as const;
const AUDIO_CODEC_IDS = { aac: 10, pcma: 7, pcmu: 8, mp3: 2, opus: 13 } as const;

export class FlvLiveFormat implements LiveFormat {
  readonly name = 'flv';
  private sent: { video: VideoConfig | null; audio: AudioConfig | null } = { video: null, audio: null };

  begin(tracks: LiveTracks): Unit[] {
    // Opus is not written (see flv-muxer.ts): don't promise an audio track players would wait for
    const audio = tracks.audio !== null && tracks.audio.codec !== 'opus';
    const units: Unit[] = [[flvFileHeader({ video: tracks.video !== null, audio })], [flvScriptTag('onMetaData', onMetaData(tracks))]];
    for (const c of [tracks.video, tracks.audio]) {
      const tag = c && flvConfigTag(c, 0);
      if (tag) units.push([tag]);
    }
    this.remember(tracks);
    return units;
  }

  reconfigure(tracks: LiveTracks, atMs: number): Unit[] {
    const units: Unit[] = [];
    for (const [now, before] of [[tracks.video, this.sent.video], [tracks.audio, this.sent.audio]] as const) {
      if (!now || sameConfig(now, before)) continue;
      const tag = flvConfigTag(now, atMs);
      if (tag) units.push([tag]);
    }
    this.remember(tracks);
    return units;
  }

  frame(frame: MediaFrame): Unit[] {
    const parts = flvFrameTag(frame, frame.dts, this.sent.audio?.info);
    return parts.length > 0 ? [parts] : [];
  }

  flush(): Unit[] {
    return [];
  }

  private remember(tracks: LiveTracks): void {
    this.sent = { video: tracks.video ?? this.sent.video, audio: tracks.audio ?? this.sent.audio };
  }
}

export function sameConfig(a: CodecConfig | null, b: CodecConfig | null): boolean {
  return a === b || (a !== null && b !== null && a.codec === b.codec && a.record.equals(b.record) && a.info.codecString === b.info.codecString);
}

/**
 * Our own onMetaData from the codec configs: the publisher's is untrusted and
 * often wrong (Dahua, mediamtx#769), and has file-only fields like duration.
 */
function onMetaData(tracks: LiveTracks): Record<string, number | string | boolean> {
  const meta: Record<string, number | string | boolean> = { encoder: 'lan-nvr' };
  const v = tracks.video;
  if (v) {
    meta.width = v.info.width;
    meta.height = v.info.height;
    if (v.info.fps) meta.framerate = v.info.fps;
    meta.videocodecid = VIDEO_CODEC_IDS[v.codec];
  }
  const a = tracks.audio;
  if (a) {
    meta.audiosamplerate = a.info.sampleRate;
    meta.stereo = a.info.channels > 1;
    meta.audiocodecid = AUDIO_CODEC_IDS[a.codec];
  }
  return meta;
}
