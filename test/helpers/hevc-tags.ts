/**
 * Builds FLV video tag bodies for an HEVC Annex-B stream, both as the legacy
 * codec id 12 that many cameras send and as Enhanced RTMP `hvc1` (E-RTMP v2).
 * ffmpeg 5.1's FLV muxer has no HEVC, so tests publish these with our client.
 */
import { buildHevcConfig } from '../../src/media/hevc-config.js';
import { lengthPrefix, splitAnnexB } from '../../src/media/annexb.js';

export interface HevcAccessUnit {
  keyframe: boolean;
  nals: Buffer[];
}

const nalType = (n: Buffer) => (n[0] >> 1) & 0x3f;

/** Groups NALs into pictures: a VCL NAL with first_slice_segment_in_pic_flag starts one. */
export function hevcAccessUnits(annexB: Buffer): { vps: Buffer; sps: Buffer; pps: Buffer; units: HevcAccessUnit[] } {
  const nals = splitAnnexB(annexB);
  const find = (t: number) => nals.find((n) => nalType(n) === t)!;
  const units: HevcAccessUnit[] = [];
  let cur: HevcAccessUnit | null = null;
  for (const n of nals) {
    const t = nalType(n);
    if (t >= 32 && t <= 40) continue; // parameter sets, AUD, SEI: config carries what matters
    if (t < 32 && n[2] & 0x80) {
      cur = { keyframe: t >= 16 && t <= 21, nals: [] };
      units.push(cur);
    }
    cur?.nals.push(n);
  }
  return { vps: find(32), sps: find(33), pps: find(34), units };
}

export function hevcRecord(vps: Buffer, sps: Buffer, pps: Buffer): Buffer {
  return buildHevcConfig([vps], [sps], [pps]);
}

/** Legacy: FrameType|CodecID 12, AVCPacketType, SI24 composition time, data. */
export function legacyHevcTag(kind: 'config' | 'frame', keyframe: boolean, data: Buffer): Buffer {
  const head = Buffer.from([((keyframe ? 1 : 2) << 4) | 12, kind === 'config' ? 0 : 1, 0, 0, 0]);
  return Buffer.concat([head, data]);
}

/** Enhanced: IsExHeader|FrameType|PacketType, FourCC, [SI24 for CodedFrames], data. */
export function enhancedHevcTag(kind: 'config' | 'frame' | 'framex', keyframe: boolean, data: Buffer): Buffer {
  const packetType = kind === 'config' ? 0 : kind === 'frame' ? 1 : 3;
  const head = Buffer.from([0x80 | ((keyframe ? 1 : 2) << 4) | packetType]);
  const cts = kind === 'frame' ? Buffer.from([0, 0, 0]) : Buffer.alloc(0);
  return Buffer.concat([head, Buffer.from('hvc1'), cts, data]);
}

export const auPayload = (u: HevcAccessUnit) => lengthPrefix(u.nals);
