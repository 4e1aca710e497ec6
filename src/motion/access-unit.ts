/**
 * Our frames carry length-prefixed NAL units and keep parameter sets in the
 * codec configuration; a decoder fed from the middle of a stream wants an
 * Annex-B access unit with its parameter sets in band. This builds one.
 */
import { splitLengthPrefixed } from '../media/annexb.js';
import { parseAvcConfig } from '../media/avc-config.js';
import type { CodecConfig, VideoCodec } from '../media/frame.js';
import { parseHevcConfig } from '../media/hevc-config.js';

const START_CODE = Buffer.from([0, 0, 0, 1]);

/** SPS/PPS (and VPS for HEVC) from an avcC/hvcC record, in the order a decoder needs them. */
export function parameterSets(config: Extract<CodecConfig, { track: 'video' }>): Buffer[] {
  if (config.codec === 'h264') {
    const c = parseAvcConfig(config.record);
    return [...c.sps, ...c.pps];
  }
  const c = parseHevcConfig(config.record);
  return [...c.vps, ...c.sps, ...c.pps];
}

/** True for an SPS NAL unit. */
function isSps(codec: VideoCodec, nal: Buffer): boolean {
  return codec === 'h264' ? (nal[0] & 0x1f) === 7 : ((nal[0] >> 1) & 0x3f) === 33;
}

/**
 * An Annex-B access unit: the frame's NAL units, each behind a 4-byte start
 * code, preceded by the configuration's parameter sets unless the frame
 * carries its own SPS (a camera that changes them in band is right, the
 * record may be stale). Throws ProtocolError (NAL_LENGTH_OVERFLOW) for a
 * payload whose lengths run past its end.
 */
export function annexBAccessUnit(codec: VideoCodec, payload: Buffer, params: readonly Buffer[]): Buffer {
  const nals = splitLengthPrefixed(payload, 4);
  const parts: Buffer[] = [];
  if (!nals.some((n) => isSps(codec, n))) for (const p of params) parts.push(START_CODE, p);
  for (const n of nals) parts.push(START_CODE, n);
  return Buffer.concat(parts);
}
