import type { SegmentFormat } from '../storage/segments.js';

/** Where segments live under dataDir: one folder per camera and UTC day. */
export const RECORDINGS_DIR = 'recordings';

const NAME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})\.(\d{3})Z(?:-(\d))?\.(flv|mp4)$/;

/**
 * `recordings/<camera>/<YYYY-MM-DD>/<YYYY-MM-DDTHH-MM-SS.mmmZ>[-n].<format>` (UTC).
 * The name carries the start time, so a file with no row can be indexed again.
 */
export function segmentPath(cameraId: string, startMs: number, format: SegmentFormat, suffix = 0): string {
  const iso = new Date(startMs).toISOString(); // 2026-11-25T14:03:20.123Z
  const name = `${iso.replace(/:/g, '-')}${suffix > 0 ? `-${suffix}` : ''}.${format}`;
  return `${RECORDINGS_DIR}/${cameraId}/${iso.slice(0, 10)}/${name}`;
}

/** The start time and format a segment file name encodes, or null for other files. */
export function parseSegmentName(name: string): { startMs: number; format: SegmentFormat } | null {
  const m = NAME.exec(name);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, ms, , format] = m;
  const startMs = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, +ms);
  return Number.isNaN(startMs) ? null : { startMs, format: format as SegmentFormat };
}
