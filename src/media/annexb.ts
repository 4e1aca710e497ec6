/**
 * NAL unit framing: Annex-B byte streams (ISO 14496-10 Annex B, start codes
 * 00 00 01 / 00 00 00 01) and length-prefixed payloads (ISO 14496-15 5.3.4.2,
 * "AVCC"/"HVCC"). Our frames always carry 4-byte big-endian lengths.
 *
 * Returned NAL buffers are subarrays of the input (no copy); inputs are never
 * modified.
 */
import { ProtocolError } from '../errors.js';

/** True when data begins with a 3- or 4-byte Annex-B start code. */
export function startsWithStartCode(data: Uint8Array): boolean {
  if (data.length >= 3 && data[0] === 0 && data[1] === 0 && data[2] === 1) return true;
  return data.length >= 4 && data[0] === 0 && data[1] === 0 && data[2] === 0 && data[3] === 1;
}

/**
 * Split an Annex-B byte stream into NAL units. Leading bytes before the first
 * start code and trailing zero bytes (trailing_zero_8bits) are dropped, as are
 * empty NAL units.
 */
export function splitAnnexB(data: Buffer): Buffer[] {
  const nals: Buffer[] = [];
  let start = -1;
  let i = 0;
  const n = data.length;
  while (i + 2 < n) {
    if (data[i + 2] > 1) {
      i += 3; // fast skip: no start code can end inside these 3 bytes
      continue;
    }
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      if (start >= 0) pushNal(nals, data, start, i);
      i += 3;
      start = i;
      continue;
    }
    i++;
  }
  if (start >= 0) pushNal(nals, data, start, n);
  return nals;
}

function pushNal(out: Buffer[], data: Buffer, start: number, end: number): void {
  // zeros before a start code belong to it (the 4-byte form, trailing_zero_8bits)
  while (end > start && data[end - 1] === 0) end--;
  if (end > start) out.push(data.subarray(start, end));
}

/** Concatenate NAL units, each behind a 4-byte big-endian length. */
export function lengthPrefix(nals: readonly Uint8Array[]): Buffer {
  let total = 0;
  for (const nal of nals) total += 4 + nal.length;
  const out = Buffer.allocUnsafe(total);
  let o = 0;
  for (const nal of nals) {
    out.writeUInt32BE(nal.length, o);
    out.set(nal, o + 4);
    o += 4 + nal.length;
  }
  return out;
}

/** Annex-B byte stream -> 4-byte length-prefixed NAL units (a new buffer). */
export function annexBToLengthPrefixed(data: Buffer): Buffer {
  return lengthPrefix(splitAnnexB(data));
}

function checkLengthSize(nalLengthSize: number): void {
  if (nalLengthSize !== 1 && nalLengthSize !== 2 && nalLengthSize !== 3 && nalLengthSize !== 4) {
    throw new ProtocolError('NAL_LENGTH_SIZE_INVALID', `NAL length size ${nalLengthSize} is not 1, 2, 3 or 4`);
  }
}

function readLength(data: Buffer, pos: number, size: number): number {
  switch (size) {
    case 1:
      return data[pos];
    case 2:
      return data.readUInt16BE(pos);
    case 3:
      return data.readUIntBE(pos, 3);
    default:
      return data.readUInt32BE(pos);
  }
}

/**
 * Split a length-prefixed payload into NAL units (subarrays). A length field
 * cut short, or a declared length past the end, is a ProtocolError
 * (NAL_LENGTH_OVERFLOW). Zero-length NAL units are dropped.
 */
export function splitLengthPrefixed(data: Buffer, nalLengthSize: number): Buffer[] {
  checkLengthSize(nalLengthSize);
  const nals: Buffer[] = [];
  let pos = 0;
  while (pos < data.length) {
    if (pos + nalLengthSize > data.length) {
      throw new ProtocolError(
        'NAL_LENGTH_OVERFLOW',
        `NAL length field at offset ${pos} cut short (${data.length - pos} of ${nalLengthSize} bytes)`,
      );
    }
    const len = readLength(data, pos, nalLengthSize);
    pos += nalLengthSize;
    if (len > data.length - pos) {
      throw new ProtocolError(
        'NAL_LENGTH_OVERFLOW',
        `NAL length ${len} at offset ${pos - nalLengthSize} runs past the end (${data.length - pos} bytes left)`,
      );
    }
    if (len > 0) nals.push(data.subarray(pos, pos + len));
    pos += len;
  }
  return nals;
}

/**
 * A length-prefixed payload with any length size -> 4-byte lengths. When the
 * input already uses 4-byte lengths and is well formed it is returned as is
 * (same memory), otherwise a new buffer is built.
 */
export function toFourByteLengths(data: Buffer, nalLengthSize: number): Buffer {
  const nals = splitLengthPrefixed(data, nalLengthSize);
  if (nalLengthSize === 4) {
    let total = 0;
    for (const nal of nals) total += 4 + nal.length;
    if (total === data.length) return data; // no zero-length NALs to drop
  }
  return lengthPrefix(nals);
}
