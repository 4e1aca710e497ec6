/**
 * AVCDecoderConfigurationRecord (ISO 14496-15 5.3.3.1), the "avcC" box body
 * and the payload of an FLV/RTMP AVC sequence header.
 */
import { ProtocolError } from '../errors.js';
import { parseH264Sps, type H264Sps } from './h264-sps.js';

export interface AvcConfig {
  profileIdc: number;
  profileCompatibility: number;
  levelIdc: number;
  /** lengthSizeMinusOne + 1: the size of NAL length fields in frames */
  nalLengthSize: number;
  sps: Buffer[];
  pps: Buffer[];
}

/** Profiles without the chroma/bit-depth extension in the record (5.3.3.1.2). */
const NO_EXTENSION_PROFILES = new Set([66, 77, 88]);

function fail(message: string): never {
  throw new ProtocolError('AVCC_INVALID', message);
}

/**
 * Parse a record. NAL buffers are subarrays of the input. The optional
 * high-profile extension and any trailing bytes are ignored.
 */
export function parseAvcConfig(record: Buffer): AvcConfig {
  if (record.length < 7) fail(`AVC config record too short (${record.length} bytes)`);
  if (record[0] !== 1) fail(`AVC config record version ${record[0]} is not 1`);
  const nalLengthSize = (record[4] & 0x03) + 1;
  if (nalLengthSize === 3) fail('AVC config record NAL length size 3 is not allowed');
  let pos = 6; // after numOfSequenceParameterSets
  const readNals = (count: number, what: string): Buffer[] => {
    const list: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      if (pos + 2 > record.length) fail(`AVC config record truncated in ${what} #${i} length`);
      const len = record.readUInt16BE(pos);
      pos += 2;
      if (len === 0 || pos + len > record.length) fail(`AVC config record ${what} #${i} length ${len} is invalid`);
      list.push(record.subarray(pos, pos + len));
      pos += len;
    }
    return list;
  };
  const sps = readNals(record[5] & 0x1f, 'SPS');
  if (pos >= record.length) fail('AVC config record truncated before PPS count');
  const ppsCount = record[pos++];
  const pps = readNals(ppsCount, 'PPS');
  if (sps.length === 0) fail('AVC config record has no SPS');
  for (const s of sps) if ((s[0] & 0x1f) !== 7) fail(`AVC config record SPS has NAL type ${s[0] & 0x1f}`);
  return {
    profileIdc: record[1],
    profileCompatibility: record[2],
    levelIdc: record[3],
    nalLengthSize,
    sps,
    pps,
  };
}

/**
 * Build a record with 4-byte NAL lengths from SPS/PPS NAL units (e.g. found
 * in an Annex-B sequence header). Profile and level come from the first SPS.
 */
export function buildAvcConfig(sps: readonly Buffer[], pps: readonly Buffer[]): Buffer {
  if (sps.length === 0 || sps.length > 31) fail(`cannot build an AVC config record from ${sps.length} SPS`);
  if (pps.length > 255) fail(`cannot build an AVC config record from ${pps.length} PPS`);
  for (const n of [...sps, ...pps]) {
    if (n.length === 0 || n.length > 0xffff) fail(`parameter set of ${n.length} bytes cannot go in a record`);
  }
  const first: H264Sps = parseH264Sps(sps[0]);
  const parts: Buffer[] = [
    Buffer.from([1, first.profileIdc, first.constraintFlags, first.levelIdc, 0xfc | 3, 0xe0 | sps.length]),
  ];
  for (const s of sps) parts.push(u16(s.length), s);
  parts.push(Buffer.from([pps.length]));
  for (const p of pps) parts.push(u16(p.length), p);
  if (!NO_EXTENSION_PROFILES.has(first.profileIdc)) {
    parts.push(
      Buffer.from([
        0xfc | first.chromaFormatIdc,
        0xf8 | (first.bitDepthLuma - 8),
        0xf8 | (first.bitDepthChroma - 8),
        0, // numOfSequenceParameterSetExt
      ]),
    );
  }
  return Buffer.concat(parts);
}

/** A copy of the record with lengthSizeMinusOne set to 3, since our frames carry 4-byte lengths. */
export function withFourByteAvcLengths(record: Buffer): Buffer {
  const out = Buffer.from(record);
  out[4] = 0xfc | 3;
  return out;
}

function u16(n: number): Buffer {
  const b = Buffer.allocUnsafe(2);
  b.writeUInt16BE(n, 0);
  return b;
}
