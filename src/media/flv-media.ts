/**
 * Pure per-message parsing of RTMP video/audio message bodies (= FLV tag
 * bodies) into our internal types. Video: legacy VideoTagHeader (FLV 10.1
 * E.4.3.1) with codec id 7 (AVC) and 12 (HEVC, the id cameras use), and the
 * Enhanced RTMP v2 ExVideoTagHeader with FourCC avc1/hvc1. Audio lives in
 * flv-audio.ts and is re-exported here.
 *
 * Returned frames may hold subarrays of `body` (no copy when the payload is
 * already in our layout); config records are always copies. Bodies are never
 * modified.
 */
import { ProtocolError } from '../errors.js';
import type { CodecConfig, VideoCodec, VideoFrame } from './frame.js';
import { annexBToLengthPrefixed, splitAnnexB, splitLengthPrefixed, startsWithStartCode, toFourByteLengths } from './annexb.js';
import { buildAvcConfig, parseAvcConfig, withFourByteAvcLengths } from './avc-config.js';
import { parseH264Sps } from './h264-sps.js';
import {
  buildHevcConfig,
  HEVC_NAL_PPS,
  HEVC_NAL_SPS,
  HEVC_NAL_VPS,
  parseHevcConfig,
  withFourByteHevcLengths,
} from './hevc-config.js';
import { parseHevcSps } from './hevc-sps.js';
import { readExHeader, type SkipResult } from './flv-ex-header.js';

export { parseAudioBody, type AudioConfig, type AudioParseResult } from './flv-audio.js';
export type { SkipResult } from './flv-ex-header.js';

export type VideoConfig = Extract<CodecConfig, { track: 'video' }>;

export type VideoParseResult =
  /** nalLengthSize: NAL length field size the publisher's frames use from now on */
  | { kind: 'config'; config: VideoConfig; nalLengthSize: number }
  | { kind: 'frame'; frame: VideoFrame }
  | { kind: 'end' }
  | SkipResult;

const LEGACY_CODEC_NAMES: Record<number, string> = {
  2: 'Sorenson H.263',
  3: 'Screen video',
  4: 'On2 VP6',
  5: 'On2 VP6 with alpha',
  6: 'Screen video v2',
};

const H264_NAL_SPS = 7;
const H264_NAL_PPS = 8;

function truncated(what: string): never {
  throw new ProtocolError('FLV_VIDEO_TRUNCATED', `video message truncated: ${what}`);
}

/** SI24, big-endian, sign-extended: composition offsets can be negative. */
function readSI24(b: Buffer, pos: number): number {
  return (((b[pos] << 24) | (b[pos + 1] << 16) | (b[pos + 2] << 8)) >> 8);
}

/**
 * Parse one video message body. `nalLengthSize` is the NAL length size of
 * the current sequence header (1, 2 or 4); frames come out with 4-byte
 * lengths regardless.
 */
export function parseVideoBody(body: Buffer, dts: number, nalLengthSize = 4): VideoParseResult {
  if (body.length === 0) return { kind: 'skip', reason: 'empty video message', quiet: true };
  const b0 = body[0];
  if (b0 & 0x80) return parseExVideo(body, dts, nalLengthSize);
  const frameType = b0 >> 4;
  const codecId = b0 & 0x0f;
  if (frameType === 5) return { kind: 'skip', reason: 'video info/command frame', quiet: true };
  let codec: VideoCodec;
  if (codecId === 7) codec = 'h264';
  else if (codecId === 12) codec = 'h265';
  else {
    const name = LEGACY_CODEC_NAMES[codecId] ?? 'unknown';
    return { kind: 'skip', reason: `unsupported video codec id ${codecId} (${name})` };
  }
  // AVCPacketType(8) + CompositionTime(SI24) precede the data, also for headers
  if (body.length < 5) truncated(`${body.length} bytes, header needs 5`);
  const packetType = body[1];
  const data = body.subarray(5);
  switch (packetType) {
    case 0:
      return videoConfig(codec, data);
    case 1:
      return videoFrame(codec, isKeyFrame(frameType), dts, readSI24(body, 2), data, nalLengthSize);
    case 2:
      return { kind: 'end' };
    default:
      return { kind: 'skip', reason: `unknown ${codec} packet type ${packetType}` };
  }
}

/** FrameType 1 = key frame, 4 = generated key frame (server-side seeking). */
function isKeyFrame(frameType: number): boolean {
  return frameType === 1 || frameType === 4;
}

/** E-RTMP v2 "Enhanced Video": ExVideoTagHeader then ExVideoTagBody. */
function parseExVideo(body: Buffer, dts: number, nalLengthSize: number): VideoParseResult {
  const h = readExHeader(body, 'video');
  if (h.kind === 'skip') return h;
  const frameType = (body[0] >> 4) & 0x07;
  let codec: VideoCodec;
  if (h.fourCc === 'avc1') codec = 'h264';
  else if (h.fourCc === 'hvc1') codec = 'h265';
  else return { kind: 'skip', reason: `unsupported video FourCC ${JSON.stringify(h.fourCc)}` };
  const data = body.subarray(h.offset);
  switch (h.packetType) {
    case 0: // SequenceStart
      return videoConfig(codec, data);
    case 1: // CodedFrames: SI24 composition offset, then NAL units
      if (data.length < 3) truncated('composition time offset');
      return videoFrame(codec, isKeyFrame(frameType), dts, readSI24(data, 0), data.subarray(3), nalLengthSize);
    case 3: // CodedFramesX: composition offset is implied 0
      return videoFrame(codec, isKeyFrame(frameType), dts, 0, data, nalLengthSize);
    case 2: // SequenceEnd
      return { kind: 'end' };
    case 5:
      return { kind: 'skip', reason: 'MPEG2TSSequenceStart is not supported' };
    default:
      return { kind: 'skip', reason: `unknown video packet type ${h.packetType}` };
  }
}

function videoInfoConfig(codec: VideoCodec, record: Buffer, firstSps: Buffer): VideoConfig {
  // the two SPS parsers differ only in where the level lives
  const sps = codec === 'h264' ? parseH264Sps(firstSps) : parseHevcSps(firstSps);
  const level = 'ptl' in sps ? sps.ptl.levelIdc : sps.levelIdc;
  return {
    track: 'video',
    codec,
    record,
    info: { codec, width: sps.width, height: sps.height, fps: sps.fps, profile: sps.profileName, level, codecString: sps.codecString },
  };
}

/**
 * Build a config record from parameter-set NAL units (Annex-B sequence
 * headers, or parameter sets sent in-band). Returns null when a required
 * parameter set is missing.
 */
export function configFromParameterSets(codec: VideoCodec, nals: readonly Buffer[]): VideoConfig | null {
  if (codec === 'h264') {
    const sps = nals.filter((n) => (n[0] & 0x1f) === H264_NAL_SPS);
    const pps = nals.filter((n) => (n[0] & 0x1f) === H264_NAL_PPS);
    if (sps.length === 0 || pps.length === 0) return null;
    return videoInfoConfig(codec, buildAvcConfig(sps, pps), sps[0]);
  }
  const ofType = (t: number): Buffer[] => nals.filter((n) => ((n[0] >> 1) & 0x3f) === t);
  const [vps, sps, pps] = [ofType(HEVC_NAL_VPS), ofType(HEVC_NAL_SPS), ofType(HEVC_NAL_PPS)];
  if (vps.length === 0 || sps.length === 0 || pps.length === 0) return null;
  return videoInfoConfig(codec, buildHevcConfig(vps, sps, pps), sps[0]);
}

function videoConfig(codec: VideoCodec, data: Buffer): VideoParseResult {
  if (data.length === 0) return { kind: 'skip', reason: `empty ${codec} sequence header` };
  if (startsWithStartCode(data)) {
    // some encoders send the parameter sets as Annex-B (srs#184): build a real record
    const config = configFromParameterSets(codec, splitAnnexB(data));
    if (!config) {
      throw new ProtocolError('FLV_SEQUENCE_HEADER_INVALID', `Annex-B ${codec} sequence header lacks parameter sets`);
    }
    return { kind: 'config', config, nalLengthSize: 4 };
  }
  if (codec === 'h264') {
    const avc = parseAvcConfig(data);
    return {
      kind: 'config',
      config: videoInfoConfig(codec, withFourByteAvcLengths(data), avc.sps[0]),
      nalLengthSize: avc.nalLengthSize,
    };
  }
  const hevc = parseHevcConfig(data);
  return {
    kind: 'config',
    config: videoInfoConfig(codec, withFourByteHevcLengths(data), hevc.sps[0]),
    nalLengthSize: hevc.nalLengthSize,
  };
}

/**
 * NAL units in whatever framing the publisher used -> 4-byte lengths.
 * Annex-B inside a NALU packet (srs#184) is detected: a payload that starts
 * with 00 00 00 01 (a 1-byte NAL is meaningless), or with 00 00 01 and does
 * not parse as length-prefixed.
 */
export function normalizeNalPayload(data: Buffer, nalLengthSize: number): Buffer {
  if (data.length >= 4 && data.readUInt32BE(0) === 1) return annexBToLengthPrefixed(data);
  try {
    return toFourByteLengths(data, nalLengthSize);
  } catch (err) {
    if (err instanceof ProtocolError && startsWithStartCode(data)) return annexBToLengthPrefixed(data);
    throw err;
  }
}

function videoFrame(
  codec: VideoCodec,
  keyframe: boolean,
  dts: number,
  compositionOffset: number,
  data: Buffer,
  nalLengthSize: number,
): VideoParseResult {
  if (data.length === 0) return { kind: 'skip', reason: `empty ${codec} frame`, quiet: true };
  const payload = normalizeNalPayload(data, nalLengthSize);
  if (payload.length === 0) return { kind: 'skip', reason: `${codec} frame without NAL units` };
  return {
    kind: 'frame',
    frame: { track: 'video', codec, dts, pts: dts + compositionOffset, keyframe, payload },
  };
}

/** The parameter sets carried in a frame's 4-byte length-prefixed payload (for in-band configs). */
export function parameterSetsInFrame(frame: VideoFrame): Buffer[] {
  const isParamSet =
    frame.codec === 'h264'
      ? (n: Buffer) => [H264_NAL_SPS, H264_NAL_PPS].includes(n[0] & 0x1f)
      : (n: Buffer) => n.length >= 2 && [HEVC_NAL_VPS, HEVC_NAL_SPS, HEVC_NAL_PPS].includes((n[0] >> 1) & 0x3f);
  return splitLengthPrefixed(frame.payload, 4).filter(isParamSet);
}
