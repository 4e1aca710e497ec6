/**
 * The HLS Media Playlist text (RFC 8216 4.3, with the Low-Latency tags of
 * draft-pantos-hls-rfc8216bis). Pure: the packager decides what is listed.
 */
import type { HlsSegment } from './segment-window.js';

/** URIs relative to the playlist (/live/<id>/index.m3u8), so any mount point works. */
export const hlsUri = {
  init: (id: number) => `init-${id}.mp4`,
  segment: (msn: number) => `seg-${msn}.m4s`,
  part: (id: number) => `part-${id}.m4s`,
};

export interface PlaylistInput {
  /** listed segments, oldest first; the last may be open (only its parts are listed) */
  segments: readonly HlsSegment[];
  /** EXT-X-TARGETDURATION, whole seconds */
  targetDurationS: number;
  /** Low-Latency HLS: the Part Target Duration, ms; null for a plain playlist */
  partTargetMs: number | null;
  /** EXT-X-PART tags for segments from this msn on (rfc8216bis 6.2.2: drop them 3 target durations back) */
  partsFromMsn?: number;
  /** id of the part being made (EXT-X-PRELOAD-HINT); null when none is coming */
  preloadPartId?: number | null;
}

const secs = (ms: number) => (ms / 1000).toFixed(3);

export function renderPlaylist(input: PlaylistInput): string {
  const { segments, partTargetMs } = input;
  const first = segments[0];
  if (!first) throw new RangeError('a playlist needs at least one segment');
  const ll = partTargetMs !== null;
  // version 6+ for EXT-X-MAP without I-FRAMES-ONLY (RFC 8216 7); 7 as the brief of this module fixes
  const out = ['#EXTM3U', '#EXT-X-VERSION:7', `#EXT-X-TARGETDURATION:${input.targetDurationS}`];
  if (ll) {
    // PART-HOLD-BACK: at least 3 part targets (Apple's LL-HLS requirement 14.3; rfc8216bis says 2 at least)
    out.push(`#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${secs(3 * partTargetMs)}`);
    out.push(`#EXT-X-PART-INF:PART-TARGET=${secs(partTargetMs)}`);
  }
  out.push(`#EXT-X-MEDIA-SEQUENCE:${first.msn}`);
  // the first listed segment's number; the tag may only be left out while it is 0 (RFC 8216 4.3.3.3)
  if (first.discSeq > 0) out.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${first.discSeq}`);
  // only true when every listed segment starts on a keyframe (a segment cut for length may not)
  if (segments.every((s) => s.parts[0]?.independent)) out.push('#EXT-X-INDEPENDENT-SEGMENTS');

  let prev: HlsSegment | null = null;
  for (const seg of segments) {
    if (prev && seg.discontinuity) out.push('#EXT-X-DISCONTINUITY');
    // EXT-X-MAP applies until the next one (RFC 8216 4.3.2.5): repeat it only when the init changes
    if (!prev || prev.initId !== seg.initId) out.push(`#EXT-X-MAP:URI="${hlsUri.init(seg.initId)}"`);
    out.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(Math.round(seg.wallMs)).toISOString()}`);
    if (ll && seg.msn >= (input.partsFromMsn ?? 0)) {
      for (const p of seg.parts) {
        out.push(`#EXT-X-PART:DURATION=${secs(p.durationMs)},URI="${hlsUri.part(p.id)}"${p.independent ? ',INDEPENDENT=YES' : ''}`);
      }
    }
    if (seg.complete) out.push(`#EXTINF:${secs(seg.durationMs)},`, hlsUri.segment(seg.msn));
    prev = seg;
  }
  if (ll && input.preloadPartId != null) out.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${hlsUri.part(input.preloadPartId)}"`);
  return out.join('\n') + '\n';
}

/** EXT-X-TARGETDURATION: every segment's duration rounded to the nearest second must fit (RFC 8216 4.3.3.1). */
export function targetDuration(maxSegmentMs: number): number {
  return Math.max(1, Math.round(maxSegmentMs / 1000));
}

/**
 * PART-TARGET: no part may be longer (rfc8216bis 4.4.4.9), and non-final parts
 * must reach 85% of it. Parts are cut at frame boundaries at or just past the
 * configured length, so the longest seen, rounded up to the next 10 ms with
 * 1 ms of slack for timestamp jitter, fits both and rarely changes.
 */
export function partTarget(partMs: number, maxPartMs: number): number {
  return Math.max(partMs, Math.ceil((Math.max(partMs, maxPartMs) + 1) / 10) * 10);
}
