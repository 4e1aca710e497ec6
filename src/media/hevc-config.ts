/**
 * HEVCDecoderConfigurationRecord (ISO 14496-15 8.3.3.1), the "hvcC" box body
 * and the payload of an HEVC sequence header in FLV/RTMP (legacy codec id 12
 * or Enhanced RTMP `hvc1`).
 */
import { ProtocolError } from '../errors.js';
import { parseHevcSps } from './hevc-sps.js';

export const HEVC_NAL_VPS = 32;
export const HEVC_NAL_SPS = 33;
export const HEVC_NAL_PPS = 34;

export interface HevcConfigArray {
  completeness: boolean;
  nalType: number;
  nals: Buffer[];
}

export interface HevcConfig {
  profileIdc: number;
  levelIdc: number;
  /** lengthSizeMinusOne + 1 */
  nalLengthSize: number;
  arrays: HevcConfigArray[];
  vps: Buffer[];
  sps: Buffer[];
  pps: Buffer[];
}

/** Fixed part of the record before numOfArrays. */
const HEADER_SIZE = 22;

function fail(message: string): never {
  throw new ProtocolError('HVCC_INVALID', message);
}

/** Parse a record. NAL buffers are subarrays of the input; trailing bytes are ignored. */
export function parseHevcConfig(record: Buffer): HevcConfig {
  if (record.length < HEADER_SIZE + 1) fail(`HEVC config record too short (${record.length} bytes)`);
  // version 0 was written by some pre-standard muxers; the layout is the same
  if (record[0] > 1) fail(`HEVC config record version ${record[0]} is not 1`);
  const nalLengthSize = (record[21] & 0x03) + 1;
  if (nalLengthSize === 3) fail('HEVC config record NAL length size 3 is not allowed');
  const numArrays = record[HEADER_SIZE];
  let pos = HEADER_SIZE + 1;
  const arrays: HevcConfigArray[] = [];
  for (let a = 0; a < numArrays; a++) {
    if (pos + 3 > record.length) fail(`HEVC config record truncated in array #${a} header`);
    const completeness = (record[pos] & 0x80) !== 0;
    const nalType = record[pos] & 0x3f;
    const count = record.readUInt16BE(pos + 1);
    pos += 3;
    const nals: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      if (pos + 2 > record.length) fail(`HEVC config record truncated in array #${a} NAL #${i} length`);
      const len = record.readUInt16BE(pos);
      pos += 2;
      if (len === 0 || pos + len > record.length) fail(`HEVC config record NAL length ${len} is invalid`);
      nals.push(record.subarray(pos, pos + len));
      pos += len;
    }
    arrays.push({ completeness, nalType, nals });
  }
  const ofType = (t: number): Buffer[] => arrays.filter((x) => x.nalType === t).flatMap((x) => x.nals);
  const sps = ofType(HEVC_NAL_SPS);
  if (sps.length === 0) fail('HEVC config record has no SPS');
  return {
    profileIdc: record[1] & 0x1f,
    levelIdc: record[12],
    nalLengthSize,
    arrays,
    vps: ofType(HEVC_NAL_VPS),
    sps,
    pps: ofType(HEVC_NAL_PPS),
  };
}

/**
 * Build a record with 4-byte NAL lengths from VPS/SPS/PPS NAL units (e.g. from
 * an Annex-B sequence header). Profile/tier/level, chroma format, bit depths
 * and temporal layering come from the first SPS.
 */
export function buildHevcConfig(vps: readonly Buffer[], sps: readonly Buffer[], pps: readonly Buffer[]): Buffer {
  if (sps.length === 0) fail('cannot build an HEVC config record without an SPS');
  const s = parseHevcSps(sps[0]);
  const header = Buffer.alloc(HEADER_SIZE);
  header[0] = 1;
  header[1] = (s.ptl.profileSpace << 6) | (s.ptl.tierFlag << 5) | s.ptl.profileIdc;
  header.writeUInt32BE(s.ptl.compatibilityFlags >>> 0, 2);
  s.ptl.constraintBytes.copy(header, 6);
  header[12] = s.ptl.levelIdc;
  header.writeUInt16BE(0xf000, 13); // reserved 1111 + min_spatial_segmentation_idc 0 (unknown)
  header[15] = 0xfc; // parallelismType 0 (unknown)
  header[16] = 0xfc | s.chromaFormatIdc;
  header[17] = 0xf8 | (s.bitDepthLuma - 8);
  header[18] = 0xf8 | (s.bitDepthChroma - 8);
  header.writeUInt16BE(0, 19); // avgFrameRate unspecified
  // constantFrameRate 0, numTemporalLayers, temporalIdNested, lengthSizeMinusOne 3
  header[21] = (s.maxSubLayers << 3) | ((s.temporalIdNesting ? 1 : 0) << 2) | 3;
  const groups: Array<[number, readonly Buffer[]]> = [
    [HEVC_NAL_VPS, vps],
    [HEVC_NAL_SPS, sps],
    [HEVC_NAL_PPS, pps],
  ];
  const present = groups.filter(([, nals]) => nals.length > 0);
  const parts: Buffer[] = [header, Buffer.from([present.length])];
  for (const [type, nals] of present) {
    if (nals.length > 0xffff) fail('too many parameter sets for an HEVC config record');
    const h = Buffer.alloc(3);
    h[0] = 0x80 | type; // array_completeness: all of this type are in the record
    h.writeUInt16BE(nals.length, 1);
    parts.push(h);
    for (const n of nals) {
      if (n.length === 0 || n.length > 0xffff) fail(`parameter set of ${n.length} bytes cannot go in a record`);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(n.length, 0);
      parts.push(len, n);
    }
  }
  return Buffer.concat(parts);
}

/** A copy of the record with lengthSizeMinusOne set to 3, since our frames carry 4-byte lengths. */
export function withFourByteHevcLengths(record: Buffer): Buffer {
  const out = Buffer.from(record);
  out[21] = (out[21] & 0xfc) | 3;
  return out;
}
