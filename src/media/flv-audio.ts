/**
 * Pure parsing of RTMP audio message bodies (= FLV AUDIODATA, FLV 10.1
 * E.4.2.1, plus Enhanced RTMP v2 ExAudioTagHeader). AAC (legacy SoundFormat
 * 10 and FourCC mp4a), G.711 A-law/mu-law, MP3 and Opus (FourCC Opus) become
 * frames; the rest is skipped with a reason.
 *
 * Frames hold subarrays of `body`; config records are copies.
 */
import { ProtocolError } from '../errors.js';
import type { AudioCodec, AudioFrame, AudioInfo, CodecConfig } from './frame.js';
import { parseAacConfig } from './aac-config.js';
import { readExHeader, type SkipResult } from './flv-ex-header.js';

export type AudioConfig = Extract<CodecConfig, { track: 'audio' }>;

export type AudioParseResult =
  | { kind: 'config'; config: AudioConfig }
  /** impliedConfig: formats without a sequence header (G.711, MP3) describe themselves per frame */
  | { kind: 'frame'; frame: AudioFrame; impliedConfig?: AudioConfig }
  | { kind: 'end' }
  | SkipResult;

const SOUND_FORMAT_NAMES: Record<number, string> = {
  0: 'linear PCM, platform endian',
  1: 'ADPCM',
  3: 'linear PCM, little endian',
  4: 'Nellymoser 16 kHz',
  5: 'Nellymoser 8 kHz',
  6: 'Nellymoser',
  11: 'Speex',
  15: 'device-specific',
};

/** FLV SoundRate field; it cannot say 8 kHz. */
const FLV_RATES = [5512, 11025, 22050, 44100];

function truncated(what: string): never {
  throw new ProtocolError('FLV_AUDIO_TRUNCATED', `audio message truncated: ${what}`);
}

function config(codec: AudioCodec, record: Buffer, info: Omit<AudioInfo, 'codec'>): AudioConfig {
  return { track: 'audio', codec, record, info: { codec, ...info } };
}

function frame(codec: AudioCodec, dts: number, payload: Buffer): AudioFrame {
  return { track: 'audio', codec, dts, pts: dts, keyframe: true, payload };
}

function aacConfig(asc: Buffer): AudioParseResult {
  const aac = parseAacConfig(asc);
  return {
    kind: 'config',
    config: config('aac', Buffer.from(asc), {
      sampleRate: aac.sampleRate,
      channels: aac.channels,
      objectType: aac.objectType,
      codecString: aac.codecString,
    }),
  };
}

/** OpusHead (RFC 7845 5.1); an empty sequence start means a default stereo stream. */
export function opusConfig(head: Buffer): AudioConfig {
  let channels = 2;
  if (head.length > 0) {
    if (head.length < 19 || head.toString('latin1', 0, 8) !== 'OpusHead' || head[8] >= 16 || head[9] === 0) {
      throw new ProtocolError('OPUS_HEAD_INVALID', 'Opus sequence start is not a valid OpusHead');
    }
    channels = head[9];
  }
  // Opus always decodes at 48 kHz whatever the input rate field says
  return config('opus', Buffer.from(head), { sampleRate: 48000, channels, objectType: null, codecString: 'opus' });
}

/** Sample rate and channels from an MPEG audio frame header (ISO 11172-3 2.4.1.3), or null. */
export function parseMp3Header(data: Uint8Array): { sampleRate: number; channels: number; mpeg1: boolean } | null {
  if (data.length < 4 || data[0] !== 0xff || (data[1] & 0xe0) !== 0xe0) return null;
  const version = (data[1] >> 3) & 3; // 0 = MPEG 2.5, 1 = reserved, 2 = MPEG 2, 3 = MPEG 1
  const layer = (data[1] >> 1) & 3;
  const rateIndex = (data[2] >> 2) & 3;
  if (version === 1 || layer === 0 || rateIndex === 3) return null;
  const base = [44100, 48000, 32000][rateIndex];
  const sampleRate = version === 3 ? base : version === 2 ? base / 2 : base / 4;
  const channels = ((data[3] >> 6) & 3) === 3 ? 1 : 2;
  return { sampleRate, channels, mpeg1: version === 3 };
}

function mp3Frame(b0: number, soundFormat: number, dts: number, data: Buffer): AudioParseResult {
  if (data.length === 0) return { kind: 'skip', reason: 'empty MP3 frame', quiet: true };
  const header = parseMp3Header(data);
  const sampleRate = header?.sampleRate ?? (soundFormat === 14 ? 8000 : FLV_RATES[(b0 >> 2) & 3]);
  const channels = header?.channels ?? ((b0 & 1) === 1 ? 2 : 1);
  const mpeg1 = header ? header.mpeg1 : sampleRate >= 32000;
  return {
    kind: 'frame',
    frame: frame('mp3', dts, data),
    impliedConfig: config('mp3', Buffer.alloc(0), {
      sampleRate,
      channels,
      objectType: null,
      codecString: mpeg1 ? 'mp4a.6B' : 'mp4a.69',
    }),
  };
}

/** Parse one audio message body. */
export function parseAudioBody(body: Buffer, dts: number): AudioParseResult {
  // an audio message without a header is RTMP's "silence" message
  if (body.length === 0) return { kind: 'skip', reason: 'empty audio message (silence)', quiet: true };
  const b0 = body[0];
  const soundFormat = b0 >> 4;
  switch (soundFormat) {
    case 9:
      return parseExAudio(body, dts);
    case 10: {
      if (body.length < 2) truncated('AACPacketType');
      const data = body.subarray(2);
      if (body[1] === 0) return aacConfig(data);
      if (body[1] !== 1) return { kind: 'skip', reason: `unknown AAC packet type ${body[1]}` };
      if (data.length === 0) return { kind: 'skip', reason: 'empty AAC frame', quiet: true };
      return { kind: 'frame', frame: frame('aac', dts, data) };
    }
    case 7:
    case 8: {
      // G.711 has no sequence header and FLV's rate field cannot express 8 kHz,
      // so cameras put anything there: G.711 is 8 kHz, the type bit says mono/stereo.
      const codec: AudioCodec = soundFormat === 7 ? 'pcma' : 'pcmu';
      const data = body.subarray(1);
      if (data.length === 0) return { kind: 'skip', reason: `empty ${codec} frame`, quiet: true };
      return {
        kind: 'frame',
        frame: frame(codec, dts, data),
        impliedConfig: config(codec, Buffer.alloc(0), {
          sampleRate: 8000,
          channels: (b0 & 1) === 1 ? 2 : 1,
          objectType: null,
          codecString: soundFormat === 7 ? 'alaw' : 'ulaw',
        }),
      };
    }
    case 2:
    case 14:
      return mp3Frame(b0, soundFormat, dts, body.subarray(1));
    default:
      return {
        kind: 'skip',
        reason: `unsupported audio format ${soundFormat} (${SOUND_FORMAT_NAMES[soundFormat] ?? 'reserved'})`,
      };
  }
}

/** E-RTMP v2 "Enhanced Audio": SoundFormat 9 (ExHeader), packet type, FourCC. */
function parseExAudio(body: Buffer, dts: number): AudioParseResult {
  const h = readExHeader(body, 'audio');
  if (h.kind === 'skip') return h;
  let codec: AudioCodec;
  if (h.fourCc === 'mp4a') codec = 'aac';
  else if (h.fourCc === 'Opus') codec = 'opus';
  else if (h.fourCc === '.mp3') codec = 'mp3';
  else return { kind: 'skip', reason: `unsupported audio FourCC ${JSON.stringify(h.fourCc)}` };
  const data = body.subarray(h.offset);
  switch (h.packetType) {
    case 0: // SequenceStart
      if (codec === 'aac') return aacConfig(data);
      if (codec === 'opus') return { kind: 'config', config: opusConfig(data) };
      return { kind: 'skip', reason: 'MP3 sequence start ignored', quiet: true };
    case 1: // CodedFrames
      if (codec === 'mp3') return mp3Frame(0, 2, dts, data);
      if (data.length === 0) return { kind: 'skip', reason: `empty ${codec} frame`, quiet: true };
      return { kind: 'frame', frame: frame(codec, dts, data) };
    case 2: // SequenceEnd
      return { kind: 'end' };
    case 4:
      return { kind: 'skip', reason: 'audio MultichannelConfig ignored' };
    default:
      return { kind: 'skip', reason: `unknown audio packet type ${h.packetType}` };
  }
}
