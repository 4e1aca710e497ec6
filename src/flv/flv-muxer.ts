/**
 * Pure FLV muxer: our CodecConfig / MediaFrame in, FLV file bytes out
 * (Adobe FLV v10.1 annex E; HEVC as Enhanced RTMP v2 `hvc1`). No I/O: the
 * recorder writes what these return, with writev, in order.
 *
 * What each codec becomes:
 * - H.264: legacy VIDEODATA, CodecID 7, AVCPacketType 0 (config) / 1 (NALU)
 *   with a signed 24-bit CompositionTime (E.4.3.1).
 * - H.265: ExVideoTagHeader FourCC `hvc1`, SequenceStart / CodedFrames
 *   (SI24 offset) / CodedFramesX (offset 0). ffmpeg 5.1 cannot read it back
 *   (its flvdec predates E-RTMP); ffmpeg 6.1+ and our FlvDemuxer can.
 * - AAC: SoundFormat 10, AACPacketType 0 (AudioSpecificConfig) / 1 (raw AU).
 * - G.711 A-law / mu-law: SoundFormat 7 / 8, one byte header, no config tag.
 * - MP3: SoundFormat 2 (14 at 8 kHz), no config tag.
 * - Opus: not written. Legacy FLV has no Opus, and the E-RTMP `Opus` FourCC
 *   is unreadable by the ffmpeg/players we target: config -> null,
 *   frames -> [] (the recorder may transcode or drop the track).
 */
import type { AudioInfo, CodecConfig, MediaFrame } from '../media/frame.js';
import { EcmaArray, encodeAmf0 } from '../rtmp/amf0.js';
import {
  EX_VIDEO_CODED_FRAMES, EX_VIDEO_CODED_FRAMES_X, EX_VIDEO_SEQUENCE_START, FLV_FILE_HEADER_SIZE,
  FLV_MAX_TAG_SIZE, FLV_PREVIOUS_TAG_SIZE_BYTES, FLV_TAG_AUDIO, FLV_TAG_HEADER_SIZE, FLV_TAG_SCRIPT, FLV_TAG_VIDEO,
} from './flv-format.js';

export {
  FLV_FILE_HEADER_SIZE, FLV_MAX_TAG_SIZE, FLV_PREVIOUS_TAG_SIZE_BYTES, FLV_TAG_HEADER_SIZE,
} from './flv-format.js';

const AVC_CODEC_ID = 7;
const AAC_FORMAT = 10;
const PCMA_FORMAT = 7;
const PCMU_FORMAT = 8;
const MP3_FORMAT = 2;
const MP3_8K_FORMAT = 14;
/** E.4.2.1 SoundRate index -> Hz. */
const FLV_RATES = [5512, 11025, 22050, 44100];
const HVC1 = [0x68, 0x76, 0x63, 0x31]; // 'hvc1'

/** E.2: 'FLV', version 1, TypeFlagsAudio (bit 2) / TypeFlagsVideo (bit 0), DataOffset 9, PreviousTagSize0 0. */
export function flvFileHeader(opts: { audio: boolean; video: boolean }): Buffer {
  const b = Buffer.alloc(FLV_FILE_HEADER_SIZE);
  b.write('FLV', 0, 'latin1');
  b[3] = 1;
  b[4] = (opts.audio ? 0x04 : 0) | (opts.video ? 0x01 : 0);
  b.writeUInt32BE(9, 5);
  return b;
}

function checkTimestamp(timestamp: number): void {
  // 24 bits + TimestampExtended = 32 bits; unwrapping past 2^32 is the caller's job
  if (!Number.isInteger(timestamp) || timestamp < 0 || timestamp > 0xffffffff) {
    throw new RangeError(`FLV timestamp ${timestamp} is not an integer in [0, 2^32-1] ms`);
  }
}

function checkDataSize(dataSize: number): void {
  if (FLV_TAG_HEADER_SIZE + dataSize + FLV_PREVIOUS_TAG_SIZE_BYTES > FLV_MAX_TAG_SIZE) {
    throw new RangeError(`FLV tag data of ${dataSize} bytes exceeds the ${FLV_MAX_TAG_SIZE}-byte tag limit`);
  }
}

/** E.4.1: TagType (Reserved 0, Filter 0), DataSize UI24, Timestamp UI24 + TimestampExtended UI8, StreamID 0. */
function writeTagHeader(b: Buffer, type: number, dataSize: number, timestamp: number): void {
  b[0] = type;
  b.writeUIntBE(dataSize, 1, 3);
  b.writeUIntBE(timestamp % 0x1000000, 4, 3);
  b[7] = Math.floor(timestamp / 0x1000000); // upper 8 bits of the 32-bit time
  b.writeUIntBE(0, 8, 3);
}

function previousTagSize(dataSize: number): Buffer {
  const b = Buffer.alloc(FLV_PREVIOUS_TAG_SIZE_BYTES);
  b.writeUInt32BE(FLV_TAG_HEADER_SIZE + dataSize);
  return b;
}

/** One contiguous tag (header, body, PreviousTagSize) for small bodies: script and config tags. */
function wholeTag(type: number, timestamp: number, body: Buffer): Buffer {
  checkTimestamp(timestamp);
  checkDataSize(body.length);
  const b = Buffer.alloc(FLV_TAG_HEADER_SIZE + body.length + FLV_PREVIOUS_TAG_SIZE_BYTES);
  writeTagHeader(b, type, body.length, timestamp);
  body.copy(b, FLV_TAG_HEADER_SIZE);
  b.writeUInt32BE(FLV_TAG_HEADER_SIZE + body.length, FLV_TAG_HEADER_SIZE + body.length);
  return b;
}

/**
 * E.4.4 SCRIPTDATA: the name as an AMF0 string, then an ECMA array, as
 * ffmpeg's flvenc writes onMetaData (its flvdec only reads that name).
 */
export function flvScriptTag(name: 'onMetaData', values: Record<string, number | string | boolean>, timestamp = 0): Buffer {
  return wholeTag(FLV_TAG_SCRIPT, timestamp, encodeAmf0(name, new EcmaArray(values)));
}

/** SI24 big-endian two's complement (E.4.3.1 CompositionTime; E-RTMP CodedFrames). */
function si24(n: number): number[] {
  if (!Number.isInteger(n) || n < -0x800000 || n > 0x7fffff) {
    throw new RangeError(`composition time offset ${n} ms does not fit a signed 24-bit field`);
  }
  const u = n & 0xffffff;
  return [u >> 16, (u >> 8) & 0xff, u & 0xff];
}

/** The sequence header tag, or null for codecs that have none (G.711, MP3) or that we do not write (Opus). */
export function flvConfigTag(config: CodecConfig, timestamp: number): Buffer | null {
  let head: number[];
  if (config.track === 'video') {
    head = config.codec === 'h264'
      ? [(1 << 4) | AVC_CODEC_ID, 0, 0, 0, 0] // key frame, AVC sequence header, CompositionTime 0
      : [0x80 | (1 << 4) | EX_VIDEO_SEQUENCE_START, ...HVC1]; // IsExHeader, key frame, SequenceStart
  } else if (config.codec === 'aac') {
    head = [aacFlags(), 0]; // AACPacketType 0: AudioSpecificConfig
  } else {
    return null;
  }
  return wholeTag(config.track === 'video' ? FLV_TAG_VIDEO : FLV_TAG_AUDIO, timestamp, Buffer.concat([Buffer.from(head), config.record]));
}

/** E.4.2.1: AAC "always" declares 44 kHz, 16-bit, stereo; the AudioSpecificConfig has the truth. */
function aacFlags(): number {
  return (AAC_FORMAT << 4) | (3 << 2) | (1 << 1) | 1;
}

/**
 * G.711: FLV's SoundRate cannot say 8 kHz. ffmpeg's flvenc writes index 0 and
 * 16-bit, and its flvdec reads SoundFormat 7/8 as 8000 Hz whatever the rate
 * bits; only SoundType (mono/stereo) is taken from the byte.
 */
function g711Flags(format: number, audio?: AudioInfo): number {
  return (format << 4) | (0 << 2) | (1 << 1) | ((audio?.channels ?? 1) >= 2 ? 1 : 0);
}

/** MP3: nearest FLV rate (decoders read the real one from the MPEG header); 8 kHz has its own SoundFormat 14. */
function mp3Flags(audio?: AudioInfo): number {
  const rate = audio?.sampleRate ?? 44100;
  const stereo = (audio?.channels ?? 2) >= 2 ? 1 : 0;
  if (rate === 8000) return (MP3_8K_FORMAT << 4) | (1 << 1) | stereo;
  let index = 0;
  FLV_RATES.forEach((r, i) => {
    if (Math.abs(r - rate) < Math.abs(FLV_RATES[index] - rate)) index = i;
  });
  return (MP3_FORMAT << 4) | (index << 2) | (1 << 1) | stereo;
}

/** Bytes between the tag header and the payload, or null when the codec is not written (Opus). */
function codecHeader(frame: MediaFrame, audio?: AudioInfo): number[] | null {
  if (frame.track === 'video') {
    const frameType = frame.keyframe ? 1 : 2; // key frame / inter frame
    const cts = frame.pts - frame.dts;
    if (frame.codec === 'h264') return [(frameType << 4) | AVC_CODEC_ID, 1, ...si24(cts)];
    return cts === 0
      ? [0x80 | (frameType << 4) | EX_VIDEO_CODED_FRAMES_X, ...HVC1]
      : [0x80 | (frameType << 4) | EX_VIDEO_CODED_FRAMES, ...HVC1, ...si24(cts)];
  }
  switch (frame.codec) {
    case 'aac': return [aacFlags(), 1]; // AACPacketType 1: raw
    case 'pcma': return [g711Flags(PCMA_FORMAT, audio)];
    case 'pcmu': return [g711Flags(PCMU_FORMAT, audio)];
    case 'mp3': return [mp3Flags(audio)];
    case 'opus': return null;
  }
}

/** Bytes flvFrameTag(frame) will produce (0 for Opus), for keyframe-index offsets without concatenating. */
export function flvTagSize(frame: MediaFrame): number {
  const head = codecHeader(frame);
  if (!head) return 0;
  return FLV_TAG_HEADER_SIZE + head.length + frame.payload.length + FLV_PREVIOUS_TAG_SIZE_BYTES;
}

/**
 * One media tag as [tag header + codec header, payload, PreviousTagSize].
 * The payload is the frame's own Buffer (not copied). `timestamp` is the
 * tag's DTS in ms, already rebased; the composition offset is pts - dts.
 * Returns [] for Opus (see file comment). `audio` gives G.711/MP3 their
 * channel/rate flags.
 */
export function flvFrameTag(frame: MediaFrame, timestamp: number, audio?: AudioInfo): Buffer[] {
  checkTimestamp(timestamp);
  const codec = codecHeader(frame, audio);
  if (!codec) return [];
  const dataSize = codec.length + frame.payload.length;
  checkDataSize(dataSize);
  // Header and PreviousTagSize share one slice of Node's pool (every byte is written below).
  // Not Buffer.alloc: a small typed array lives on V8's heap and is moved off it, one
  // allocation each, when a write hands it to the OS; per frame at 4 Mbit/s that showed.
  const headLen = FLV_TAG_HEADER_SIZE + codec.length;
  const b = Buffer.allocUnsafe(headLen + FLV_PREVIOUS_TAG_SIZE_BYTES);
  writeTagHeader(b, frame.track === 'video' ? FLV_TAG_VIDEO : FLV_TAG_AUDIO, dataSize, timestamp);
  b.set(codec, FLV_TAG_HEADER_SIZE);
  b.writeUInt32BE(FLV_TAG_HEADER_SIZE + dataSize, headLen);
  return [b.subarray(0, headLen), frame.payload, b.subarray(headLen)];
}
