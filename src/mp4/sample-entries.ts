/**
 * Sample entries for the stsd box (ISO 14496-12 8.5.2, 12.1.3, 12.2.3): one
 * per track, describing the codec. Configuration records are copied from the
 * ingest config unchanged (MEDIA-NOTES "FLV to fragmented MP4" 8).
 */
import { ProtocolError } from '../errors.js';
import type { CodecConfig } from '../media/frame.js';
import { box, fixed16, fullBox, i16, u16, u32, u8, zeros, type Box } from './boxes.js';

type VideoConfig = Extract<CodecConfig, { track: 'video' }>;
type AudioConfig = Extract<CodecConfig, { track: 'audio' }>;

/** SampleEntry (8.5.2.2): six reserved bytes, then data_reference_index 1 (our one dref entry). */
function sampleEntryHeader(): Buffer[] {
  return [zeros(6), u16(1)];
}

/** VisualSampleEntry (12.1.3.2) with the codec's configuration box. */
function visualEntry(type: string, width: number, height: number, configBox: Box): Box {
  return box(
    type,
    ...sampleEntryHeader(),
    zeros(16), // pre_defined, reserved, pre_defined[3]
    u16(width),
    u16(height),
    u32(0x00480000), // horizresolution 72 dpi
    u32(0x00480000), // vertresolution 72 dpi
    u32(0), // reserved
    u16(1), // frame_count: one frame per sample
    zeros(32), // compressorname: empty
    u16(0x0018), // depth: colour, no alpha
    i16(-1), // pre_defined
    configBox,
  );
}

/**
 * AudioSampleEntry (12.2.3.2). samplerate is 16.16 and cannot hold rates
 * above 65535 Hz; 0 there is harmless, decoders read the codec's own config.
 */
function audioEntry(type: string, channels: number, sampleRate: number, ...children: Box[]): Box {
  return box(
    type,
    ...sampleEntryHeader(),
    zeros(8), // reserved
    u16(channels),
    u16(16), // samplesize
    zeros(4), // pre_defined, reserved
    sampleRate <= 0xffff ? fixed16(sampleRate) : u32(0),
    ...children,
  );
}

/** An MPEG-4 descriptor (ISO 14496-1 8.3.3): tag, size in 7-bit groups (high bit = more), body. */
function descriptor(tag: number, ...body: Buffer[]): Buffer {
  const content = Buffer.concat(body);
  const size: number[] = [];
  let n = content.length;
  do {
    size.unshift(n & 0x7f);
    n >>>= 7;
  } while (n > 0);
  for (let i = 0; i < size.length - 1; i++) size[i] |= 0x80;
  return Buffer.concat([Buffer.from([tag, ...size]), content]);
}

/**
 * esds (ISO 14496-14 5.6): ES_Descriptor > DecoderConfigDescriptor
 * (objectTypeIndication, streamType 5 = audio) > DecoderSpecificInfo, and the
 * SLConfigDescriptor with predefined = 2 that MP4 files require (14496-14 3.1.2).
 */
export function esds(objectTypeIndication: number, decoderSpecificInfo: Buffer | null): Box {
  const decoderConfig = descriptor(
    0x04,
    u8(objectTypeIndication),
    u8((0x05 << 2) | 1), // streamType audio, upStream 0, reserved 1
    zeros(3), // bufferSizeDB: unknown
    u32(0), // maxBitrate: unknown
    u32(0), // avgBitrate: unknown (variable)
    ...(decoderSpecificInfo ? [descriptor(0x05, decoderSpecificInfo)] : []),
  );
  // ES_ID 0 (the track id identifies the stream in MP4), no dependence/URL/OCR flags
  const es = descriptor(0x03, u16(0), u8(0), decoderConfig, descriptor(0x06, u8(0x02)));
  return fullBox('esds', 0, 0, es);
}

/**
 * dOps ("Encapsulation of Opus in ISO BMFF" 4.3.2): OpusHead's fields,
 * big-endian and without the magic. An empty head is the E-RTMP default: stereo.
 */
export function dOps(head: Buffer): Box {
  if (head.length === 0) return box('dOps', u8(0), u8(2), u16(0), u32(48000), i16(0), u8(0));
  if (head.length < 19) throw new ProtocolError('MP4_OPUS_HEAD', `OpusHead of ${head.length} bytes is too short`);
  const channels = head[9];
  const family = head[18];
  const fields = [u8(0), u8(channels), u16(head.readUInt16LE(10)), u32(head.readUInt32LE(12)), i16(head.readInt16LE(16)), u8(family)];
  if (family !== 0) {
    // ChannelMappingTable: StreamCount, CoupledCount, one mapping byte per output channel
    if (head.length < 21 + channels) throw new ProtocolError('MP4_OPUS_HEAD', 'OpusHead channel mapping table is truncated');
    fields.push(head.subarray(19, 21 + channels));
  }
  return box('dOps', ...fields);
}

function videoEntry(config: VideoConfig): Box {
  const { width, height } = config.info;
  if (config.codec === 'h264') return visualEntry('avc1', width, height, box('avcC', config.record));
  // hvc1 (14496-15 8.4.1): parameter sets in hvcC; what Safari and MSE expect
  return visualEntry('hvc1', width, height, box('hvcC', config.record));
}

function audioEntryFor(config: AudioConfig, timescale: number): Box {
  const { channels, sampleRate } = config.info;
  switch (config.codec) {
    case 'aac':
      return audioEntry('mp4a', channels || 2, timescale, esds(0x40, config.record));
    case 'mp3':
      // 0x6B = MPEG-1 audio, 0x69 = MPEG-2 (lower rates); the codec string already says which
      return audioEntry('mp4a', channels, sampleRate, esds(config.info.codecString === 'mp4a.69' ? 0x69 : 0x6b, null));
    case 'pcma':
    case 'pcmu':
      // QuickTime-style sound entry ('alaw'/'ulaw', version 0): ffmpeg, VLC and
      // desktop players read it; browsers (MSE) cannot play G.711 at all.
      return audioEntry(config.codec === 'pcma' ? 'alaw' : 'ulaw', channels, sampleRate);
    case 'opus':
      return audioEntry('Opus', channels, 48000, dOps(config.record));
    default:
      throw new ProtocolError('MP4_UNSUPPORTED_CODEC', `no MP4 sample entry for ${String(config.codec)}`);
  }
}

/** The stsd entry for a track. timescale is the track's mdhd timescale. */
export function sampleEntry(config: CodecConfig, timescale: number): Box {
  return config.track === 'video' ? videoEntry(config) : audioEntryFor(config, timescale);
}
