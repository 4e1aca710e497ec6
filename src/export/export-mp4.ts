import { join } from 'node:path';
import type { DemuxOutput } from '../media/flv-demuxer.js';
import type { CodecConfig, MediaFrame } from '../media/frame.js';
import { Fmp4Fragmenter } from '../mp4/fragmenter.js';
import { mimeType, trackFor } from '../mp4/track-config.js';
import { decodeKeyframes, seekKeyframe } from '../recording/keyframe-index.js';
import type { SegmentRow } from '../storage/segments.js';
import { readFlvSegment } from './flv-segment-reader.js';
import { readMp4Segment } from './mp4-segment-reader.js';

export interface ExportRequest {
  /** segments overlapping the range, oldest first (Segments.list) */
  rows: SegmentRow[];
  dataDir: string;
  fromMs: number;
  toMs: number;
  /** leave out the audio track (a browser's Media Source cannot play G.711; playback wants video) */
  videoOnly?: boolean;
  /** keyframes only, video only (fast playback: 16x is a few decoded pictures a second); each lasts until the next */
  keyframesOnly?: boolean;
}

export interface ExportSummary {
  frames: number;
  /** a later segment's codec configuration differed from the first one's: the export stops there */
  stoppedAtConfigChange: boolean;
  /** wall time (ms) of the first exported frame, the keyframe at or before fromMs: export time 0; set before the init segment is yielded */
  startMs?: number;
  /** the exported tracks' MIME type with RFC 6381 codecs (for MediaSource.isTypeSupported); set with startMs */
  mimeType?: string;
}

/** Export fragments of about two seconds: a bounded amount of media in memory at a time. */
const FRAGMENT_MS = 2000;

/**
 * One fragmented MP4 for [fromMs, toMs) across segment (and format) boundaries,
 * with no transcoding: it starts at the keyframe at or before fromMs, reads
 * each stored file from the index's seek point, and re-times frames so the
 * result is continuous (gaps between recordings are closed up). Yields the
 * byte parts to write, in order; payloads are slices of what was read.
 */
export async function* exportMp4(req: ExportRequest, summary: ExportSummary = { frames: 0, stoppedAtConfigChange: false }): AsyncGenerator<Buffer[]> {
  let fragmenter: Fmp4Fragmenter | null = null;
  let configs: { video?: CodecConfig; audio?: CodecConfig } = {};
  /** wall time mapped to export time 0, and the recording gaps closed up so far */
  let base: number | null = null;
  let shift = 0;
  let prevEnd: number | null = null;

  for (const [i, row] of req.rows.entries()) {
    if (prevEnd !== null && row.startMs > prevEnd) shift += row.startMs - prevEnd;
    prevEnd = row.endMs;
    const from = i === 0 ? (seekKeyframe(decodeKeyframes(row.startMs, row.keyframes), req.fromMs)?.offset ?? 0) : 0;
    const file = join(req.dataDir, row.path);
    const reader = row.format === 'mp4' ? readMp4Segment(file, from, row.bytes) : readFlvSegment(file, from, row.bytes);
    const segConfigs: { video?: CodecConfig; audio?: CodecConfig } = {};
    let started = i > 0;
    for await (const out of reader as AsyncGenerator<DemuxOutput>) {
      if (out.type === 'config') {
        if ((req.videoOnly || req.keyframesOnly) && out.config.track === 'audio') continue;
        segConfigs[out.config.track] = out.config;
        continue;
      }
      if (out.type !== 'frame') continue;
      const frame = out.frame;
      if ((req.videoOnly || req.keyframesOnly) && frame.track === 'audio') continue;
      if (req.keyframesOnly && !frame.keyframe) continue;
      const wall = row.startMs + frame.dts;
      if (wall >= req.toMs) {
        if (frame.track === 'video') break;
        continue;
      }
      // the first segment starts at its keyframe at or before `from`
      if (!started) {
        if (frame.track !== 'video' && segConfigs.video) continue;
        if (frame.track === 'video' && !frame.keyframe) continue;
        started = true;
      }
      if (!fragmenter) {
        configs = segConfigs;
        fragmenter = new Fmp4Fragmenter({ video: asVideo(configs.video), audio: asAudio(configs.audio), fragmentMs: FRAGMENT_MS, timeBase: 0 });
        summary.startMs = wall;
        summary.mimeType = mimeTypeOf(configs);
        yield [fragmenter.initSegment()];
      } else if (changed(configs, segConfigs)) {
        summary.stoppedAtConfigChange = true;
        yield* flush(fragmenter);
        return;
      }
      base ??= wall;
      const dts = wall - base - shift;
      const retimed: MediaFrame = { ...frame, dts, pts: dts + (frame.pts - frame.dts) } as MediaFrame;
      summary.frames++;
      const frags = fragmenter.push(retimed);
      for (const f of frags) yield f.parts;
    }
  }
  if (fragmenter) yield* flush(fragmenter);
}

function* flush(f: Fmp4Fragmenter): Generator<Buffer[]> {
  for (const frag of f.flush()) yield frag.parts;
}

function changed(a: { video?: CodecConfig; audio?: CodecConfig }, b: { video?: CodecConfig; audio?: CodecConfig }): boolean {
  const differs = (x?: CodecConfig, y?: CodecConfig) => x !== undefined && y !== undefined && (x.codec !== y.codec || !x.record.equals(y.record));
  return differs(a.video, b.video) || differs(a.audio, b.audio);
}

function mimeTypeOf(configs: { video?: CodecConfig; audio?: CodecConfig }): string | undefined {
  try {
    return mimeType([configs.video, configs.audio].filter((c) => c !== undefined).map((c) => trackFor(c)));
  } catch {
    return undefined; // a config whose codec string cannot be read: the file is still valid
  }
}

const asVideo = (c?: CodecConfig) => (c?.track === 'video' ? c : undefined);
const asAudio = (c?: CodecConfig) => (c?.track === 'audio' ? c : undefined);
