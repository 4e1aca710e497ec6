import { ProtocolError } from '../errors.js';

/** One seek point: a keyframe's wall time and where reading must start to reach it. */
export interface KeyframeEntry {
  /** ms UTC */
  timeMs: number;
  /** byte offset in the segment file: the keyframe's FLV tag, or the fMP4 fragment holding it */
  offset: number;
}

/**
 * Compact keyframe index, stored as a BLOB per segment: unsigned LEB128 varint
 * pairs (ms since the previous entry, bytes since the previous entry), the first
 * relative to (segment start, 0). A 60 s segment with a 2 s GOP takes ~150 bytes.
 */
export function encodeKeyframes(startMs: number, entries: readonly KeyframeEntry[]): Buffer {
  const out: number[] = [];
  let t = startMs;
  let o = 0;
  for (const e of entries) {
    if (e.timeMs < t || e.offset < o) throw new RangeError('keyframe entries must not go backwards');
    pushVarint(out, e.timeMs - t);
    pushVarint(out, e.offset - o);
    t = e.timeMs;
    o = e.offset;
  }
  return Buffer.from(out);
}

export function decodeKeyframes(startMs: number, blob: Uint8Array | null): KeyframeEntry[] {
  const entries: KeyframeEntry[] = [];
  if (!blob) return entries;
  let pos = 0;
  let t = startMs;
  let o = 0;
  const next = (): number => {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (pos >= blob.length) throw new ProtocolError('INDEX_CORRUPT', 'keyframe index ends inside a varint');
      const b = blob[pos++];
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value;
      scale *= 128;
    }
    throw new ProtocolError('INDEX_CORRUPT', 'keyframe index varint longer than 8 bytes');
  };
  while (pos < blob.length) {
    t += next();
    o += next();
    entries.push({ timeMs: t, offset: o });
  }
  return entries;
}

/** The last entry at or before timeMs (the first one if timeMs precedes them all). */
export function seekKeyframe(entries: readonly KeyframeEntry[], timeMs: number): KeyframeEntry | undefined {
  let lo = 0;
  let hi = entries.length - 1;
  let found = entries[0];
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (entries[mid].timeMs <= timeMs) {
      found = entries[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

function pushVarint(out: number[], n: number): void {
  // numbers up to 2^53: division instead of bit shifts, which are 32-bit in JS
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
}
