/**
 * The Enhanced RTMP v2 header shared by ExVideoTagHeader and ExAudioTagHeader
 * (veovera enhanced-rtmp-v2, "Enhanced Video" / "Enhanced Audio"): packet type
 * in the low nibble of the first byte, optional ModEx prefixes, then a FourCC.
 */
import { ProtocolError } from '../errors.js';

/** quiet: expected in normal streams (silence, command frames), not worth a warning. */
export type SkipResult = { kind: 'skip'; reason: string; quiet?: boolean };

export interface ExHeader {
  kind: 'header';
  packetType: number;
  fourCc: string;
  /** offset of the packet body (after the FourCC) */
  offset: number;
}

/** PacketType values that mean the same in both the video and the audio enums. */
const PACKET_TYPE_MODEX = 7;
const VIDEO_PACKET_METADATA = 4;
const VIDEO_PACKET_MULTITRACK = 6;
const AUDIO_PACKET_MULTITRACK = 5;
const VIDEO_FRAME_COMMAND = 5;

export function readExHeader(body: Buffer, track: 'video' | 'audio'): ExHeader | SkipResult {
  const truncated = (what: string): never => {
    throw new ProtocolError(`FLV_${track.toUpperCase()}_TRUNCATED`, `enhanced ${track} header truncated: ${what}`);
  };
  let packetType = body[0] & 0x0f;
  let pos = 1;
  // ModEx: size-prefixed modifier data, then a byte whose low nibble is the real
  // packet type. The only defined modifier is TimestampOffsetNano (sub-ms): ignored.
  while (packetType === PACKET_TYPE_MODEX) {
    if (pos >= body.length) truncated('ModEx size');
    let size = body[pos++] + 1;
    if (size === 256) {
      if (pos + 2 > body.length) truncated('ModEx 16-bit size');
      size = body.readUInt16BE(pos) + 1;
      pos += 2;
    }
    if (pos + size + 1 > body.length) truncated('ModEx data');
    pos += size;
    packetType = body[pos++] & 0x0f;
  }
  if (track === 'video') {
    const frameType = (body[0] >> 4) & 0x07;
    // a command frame carries a UI8 command instead of a FourCC and body
    if (frameType === VIDEO_FRAME_COMMAND && packetType !== VIDEO_PACKET_METADATA) {
      return { kind: 'skip', reason: 'video command frame', quiet: true };
    }
  }
  const multitrack = track === 'video' ? VIDEO_PACKET_MULTITRACK : AUDIO_PACKET_MULTITRACK;
  if (packetType === multitrack) {
    return { kind: 'skip', reason: `E-RTMP multitrack ${track} is not supported yet` };
  }
  if (pos + 4 > body.length) truncated('FourCC');
  const fourCc = body.toString('latin1', pos, pos + 4);
  pos += 4;
  if (track === 'video' && packetType === VIDEO_PACKET_METADATA) {
    return { kind: 'skip', reason: `video metadata (${JSON.stringify(fourCc)}) ignored`, quiet: true };
  }
  return { kind: 'header', packetType, fourCc, offset: pos };
}
