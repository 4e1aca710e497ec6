/**
 * Chunk basic and message header sizes (RTMP 1.0 spec 5.3.1).
 * Basic header: fmt(2 bits) + csid(6 bits); csid 0 means a 2-byte form
 * (id = b1 + 64), csid 1 a 3-byte form (id = b2 * 256 + b1 + 64).
 */
export const MESSAGE_HEADER_BYTES = [11, 7, 3, 0] as const;
export const EXTENDED_TIMESTAMP_MARK = 0xffffff;
export const MAX_CSID = 65599;

/** Bytes in the basic header announced by its first byte. */
export function basicHeaderBytes(first: number): 1 | 2 | 3 {
  const low = first & 0x3f;
  return low === 0 ? 2 : low === 1 ? 3 : 1;
}

export function readCsid(b: Buffer, off: number): number {
  const low = b[off] & 0x3f;
  if (low === 0) return b[off + 1] + 64;
  if (low === 1) return b[off + 2] * 256 + b[off + 1] + 64;
  return low;
}

/** Writes a basic header; returns bytes written. */
export function writeBasicHeader(out: Buffer, off: number, fmt: number, csid: number): number {
  if (csid < 2 || csid > MAX_CSID) throw new RangeError(`chunk stream id ${csid} out of range`);
  if (csid < 64) {
    out[off] = (fmt << 6) | csid;
    return 1;
  }
  if (csid < 320) {
    out[off] = fmt << 6;
    out[off + 1] = csid - 64;
    return 2;
  }
  out[off] = (fmt << 6) | 1;
  out[off + 1] = (csid - 64) & 0xff;
  out[off + 2] = (csid - 64) >> 8;
  return 3;
}
