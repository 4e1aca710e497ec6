import type { MediaFrame } from '../../media/frame.js';
import { Fmp4Fragmenter, type Fragment } from '../../mp4/fragmenter.js';
import type { SegmentTracks, SegmentWriter, WriterOutput } from './segment-writer.js';

/** Fragments of about a second: what a crash can cost at most (MEDIA-NOTES: MediaMTX does the same). */
const FRAGMENT_MS = 1000;

/**
 * A fragmented-MP4 segment: ftyp+moov, then a moof+mdat about every second.
 * Fragments are not keyframe-aligned (a 4 s GOP would otherwise mean 4 s at
 * risk), so a keyframe's seek point is the fragment that holds it.
 */
export class Mp4SegmentWriter implements SegmentWriter {
  private fragmenter: Fmp4Fragmenter | null = null;
  private position = 0;
  /** the segment's first frame dts: relMs 0 */
  private startDts: number | null = null;
  /** keyframe times (ms since the segment start) waiting for their fragment to be written */
  private pendingKeyframes: number[] = [];

  constructor(private readonly tracks: SegmentTracks) {}

  begin(): Buffer[] {
    const { video, audio } = this.tracks;
    this.fragmenter = new Fmp4Fragmenter({
      video: video?.track === 'video' ? video : undefined,
      audio: audio?.track === 'audio' ? audio : undefined,
      fragmentMs: FRAGMENT_MS,
    });
    const init = this.fragmenter.initSegment();
    this.position = init.length;
    return [init];
  }

  frame(frame: MediaFrame, relMs: number): WriterOutput {
    const f = this.fragmenter!;
    this.startDts ??= frame.dts - relMs;
    const seekable = this.tracks.video ? frame.track === 'video' && frame.keyframe : false;
    if (seekable) this.pendingKeyframes.push(frame.dts);
    return this.take(f.push(frame));
  }

  end(): WriterOutput {
    return this.take(this.fragmenter!.flush());
  }

  private take(fragments: Fragment[]): WriterOutput {
    const out: WriterOutput = { parts: [], seekPoints: [] };
    for (const frag of fragments) {
      // keyframes this fragment holds; audio-only files seek to every fragment
      const held = this.pendingKeyframes.filter((d) => d < frag.endDts);
      this.pendingKeyframes = this.pendingKeyframes.filter((d) => d >= frag.endDts);
      if (!this.tracks.video) held.push(frag.startDts);
      for (const d of held) out.seekPoints.push({ relMs: Math.max(0, d - (this.startDts ?? d)), offset: this.position });
      out.parts.push(...frag.parts);
      this.position += frag.byteLength;
    }
    return out;
  }
}
