/**
 * IVF, the smallest container ffmpeg demuxes with exact packet boundaries and
 * timestamps: a 32-byte file header, then per frame a 12-byte header (size,
 * 64-bit pts) and the bytes. We feed the decoder through it rather than a raw
 * H.264/HEVC elementary stream because ffmpeg's raw demuxers find frame ends
 * by parsing ahead, which holds each picture back until the next one arrives;
 * IVF packets are complete frames (AVSTREAM_PARSE_HEADERS), decoded at once,
 * and their pts comes back out of the filter graph to say which frame is which.
 *
 * Layout (all little-endian), from libavformat/ivfdec.c:
 *   0 'DKIF' | 4 version u16 = 0 | 6 header size u16 = 32 | 8 fourcc
 *   12 width u16 | 14 height u16 | 16 time base denominator u32 | 20 numerator u32
 *   24 frame count u32 (unknown for a live stream: 0) | 28 unused u32
 */

/** Time base of the pts we write: milliseconds, the unit of our frames. */
export const IVF_TIMEBASE_DEN = 1000;

export function ivfHeader(fourcc: string, width: number, height: number): Buffer {
  if (fourcc.length !== 4) throw new RangeError(`IVF fourcc must be 4 characters, got ${JSON.stringify(fourcc)}`);
  const h = Buffer.alloc(32);
  h.write('DKIF', 0, 'latin1');
  h.writeUInt16LE(0, 4);
  h.writeUInt16LE(32, 6);
  h.write(fourcc, 8, 'latin1');
  h.writeUInt16LE(Math.min(width, 0xffff), 12);
  h.writeUInt16LE(Math.min(height, 0xffff), 14);
  h.writeUInt32LE(IVF_TIMEBASE_DEN, 16);
  h.writeUInt32LE(1, 20);
  return h;
}

/** The 12-byte frame header; the frame's bytes follow it. */
export function ivfFrameHeader(size: number, pts: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt32LE(size, 0);
  h.writeBigUInt64LE(BigInt(Math.max(0, Math.trunc(pts))), 4);
  return h;
}
