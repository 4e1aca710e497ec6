/**
 * Audio clocks for fMP4: the media timescale of an audio track and how many
 * samples (PCM sample periods) one frame carries. Timing from sample counts
 * keeps durations exact; a 1 ms clock would jitter (MEDIA-NOTES "FLV to
 * fragmented MP4" 4).
 */
import { ProtocolError } from '../errors.js';
import { BitReader } from '../media/bit-reader.js';
import { parseAacConfig } from '../media/aac-config.js';
import type { CodecConfig } from '../media/frame.js';

type AudioConfig = Extract<CodecConfig, { track: 'audio' }>;

export interface AudioTiming {
  /** mdhd timescale: samples per second */
  timescale: number;
  /** samples in one frame, or null when the payload does not say (duration then comes from dts) */
  samplesIn(payload: Buffer): number | null;
}

/** GASpecificConfig object types (ISO 14496-3 1.6.2.1): their first bit is frameLengthFlag. */
const GA_TYPES = new Set([1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22]);
const AOT_SBR = 5;
const AOT_PS = 29;
const AOT_ER_AAC_LD = 23;
const AOT_ER_AAC_ELD = 39;

function objectType(r: BitReader): number {
  const aot = r.readBits(5);
  return aot === 31 ? 32 + r.readBits(6) : aot;
}

function skipFrequency(r: BitReader): void {
  if (r.readBits(4) === 15) r.readBits(24);
}

/**
 * AAC frame length in core samples: 1024 (960 with frameLengthFlag), 512/480
 * for the low-delay types. ISO 14496-3 1.6.2.1 AudioSpecificConfig, 4.4.1
 * GASpecificConfig; LD/ELD use the same flag for 512/480.
 */
export function aacFrameLength(asc: Uint8Array): number {
  const r = new BitReader(asc);
  let aot = objectType(r);
  skipFrequency(r);
  r.readBits(4); // channelConfiguration
  if (aot === AOT_SBR || aot === AOT_PS) {
    skipFrequency(r); // extensionSamplingFrequency
    aot = objectType(r);
    if (aot === 22) r.readBits(4);
  }
  if (r.bitsLeft < 1) return 1024;
  const short = r.readBit() === 1;
  if (aot === AOT_ER_AAC_LD || aot === AOT_ER_AAC_ELD) return short ? 480 : 512;
  if (GA_TYPES.has(aot)) return short ? 960 : 1024;
  return 1024;
}

/** MPEG audio samples per frame from its header (ISO 11172-3 2.4.2.3, ISO 13818-3 2.4.2.3). */
export function mpegAudioFrameSamples(data: Uint8Array): number | null {
  if (data.length < 4 || data[0] !== 0xff || (data[1] & 0xe0) !== 0xe0) return null;
  const version = (data[1] >> 3) & 3; // 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
  const layer = (data[1] >> 1) & 3; // 3 = I, 2 = II, 1 = III
  if (version === 1 || layer === 0) return null;
  if (layer === 3) return 384;
  if (layer === 2) return 1152;
  return version === 3 ? 1152 : 576;
}

/** Opus packet duration at 48 kHz from its TOC byte (RFC 6716 3.1). */
export function opusPacketSamples(packet: Uint8Array): number | null {
  if (packet.length < 1) return null;
  const config = packet[0] >> 3;
  // frame length in 2.5 ms units: SILK 10/20/40/60, hybrid 10/20, CELT 2.5/5/10/20 ms
  const units = config < 12 ? [4, 8, 16, 24][config & 3] : config < 16 ? [4, 8][config & 1] : [1, 2, 4, 8][config & 3];
  const code = packet[0] & 3;
  let frames = code === 0 ? 1 : 2;
  if (code === 3) {
    if (packet.length < 2) return null;
    frames = packet[1] & 0x3f;
  }
  return frames * units * 120;
}

export function audioTiming(config: AudioConfig): AudioTiming {
  const { codec, info } = config;
  switch (codec) {
    case 'aac': {
      const aac = parseAacConfig(config.record);
      const frameLength = aacFrameLength(config.record);
      // the core rate, not the SBR output rate: an HE-AAC access unit is 1024
      // core samples (2048 output samples); both give the same seconds
      return { timescale: aac.samplingFrequency, samplesIn: () => frameLength };
    }
    case 'pcma':
    case 'pcmu': {
      // G.711: one byte per sample per channel
      const channels = Math.max(1, info.channels);
      return { timescale: info.sampleRate, samplesIn: (p) => Math.floor(p.length / channels) };
    }
    case 'mp3':
      return { timescale: info.sampleRate, samplesIn: mpegAudioFrameSamples };
    case 'opus':
      return { timescale: 48000, samplesIn: opusPacketSamples };
    default:
      throw new ProtocolError('MP4_UNSUPPORTED_CODEC', `no MP4 mapping for audio codec ${String(codec)}`);
  }
}
