import { flvConfigTag, flvFileHeader, flvFrameTag, flvScriptTag } from '../../flv/flv-muxer.js';
import type { MediaFrame } from '../../media/frame.js';
import { byteLength, type SegmentTracks, type SegmentWriter, type WriterOutput } from './segment-writer.js';

/** Audio-only files get a seek point this often (every audio frame is a sync sample). */
const AUDIO_SEEK_INTERVAL_MS = 1000;

/** An FLV segment: header, onMetaData, sequence headers, then one tag per frame. */
export class FlvSegmentWriter implements SegmentWriter {
  private position = 0;
  private lastAudioSeek = -Infinity;

  constructor(private readonly tracks: SegmentTracks) {}

  begin(): Buffer[] {
    const { video, audio } = this.tracks;
    const parts = [flvFileHeader({ video: video !== null, audio: audio !== null }), flvScriptTag('onMetaData', this.metadata())];
    for (const c of [video, audio]) {
      const tag = c && flvConfigTag(c, 0);
      if (tag) parts.push(tag);
    }
    this.position = byteLength(parts);
    return parts;
  }

  frame(frame: MediaFrame, relMs: number): WriterOutput {
    const audioInfo = this.tracks.audio?.track === 'audio' ? this.tracks.audio.info : undefined;
    const parts = flvFrameTag(frame, relMs, audioInfo);
    const seekable = this.tracks.video ? frame.track === 'video' && frame.keyframe : relMs - this.lastAudioSeek >= AUDIO_SEEK_INTERVAL_MS;
    const seekPoints = seekable && parts.length > 0 ? [{ relMs, offset: this.position }] : [];
    if (seekable && !this.tracks.video) this.lastAudioSeek = relMs;
    this.position += byteLength(parts);
    return { parts, seekPoints };
  }

  end(): WriterOutput {
    return { parts: [], seekPoints: [] };
  }

  private metadata(): Record<string, number | string | boolean> {
    const meta: Record<string, number | string | boolean> = { encoder: 'lan-nvr' };
    const v = this.tracks.video;
    if (v?.track === 'video') {
      meta.width = v.info.width;
      meta.height = v.info.height;
      if (v.info.fps) meta.framerate = v.info.fps;
      meta.videocodecid = v.codec === 'h264' ? 7 : 12;
    }
    const a = this.tracks.audio;
    if (a?.track === 'audio') {
      meta.audiosamplerate = a.info.sampleRate;
      meta.stereo = a.info.channels > 1;
      meta.audiocodecid = { aac: 10, pcma: 7, pcmu: 8, mp3: 2, opus: 13 }[a.codec];
    }
    return meta;
  }
}
