/**
 * AAC AudioSpecificConfig (ISO 14496-3 1.6.2.1): the payload of an FLV/RTMP
 * AAC sequence header and the body of the MP4 `esds` DecoderSpecificInfo.
 */
import { ProtocolError } from '../errors.js';
import { BitReader } from './bit-reader.js';

/** samplingFrequencyIndex table (ISO 14496-3 1.6.3.3, Table 1.18); 13 and 14 are reserved. */
export const AAC_SAMPLE_RATES = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/** channelConfiguration -> channel count (Table 1.19 and later amendments); 0 = in the PCE. */
const CHANNELS_BY_CONFIG = [0, 1, 2, 3, 4, 5, 6, 8, -1, -1, -1, 7, 8, 24, 8, -1];

const AOT_SBR = 5;
const AOT_PS = 29;

export interface AacConfig {
  /** audioObjectType as signalled first (2 = LC, 5 = SBR/HE-AAC, 29 = PS/HE-AACv2) */
  objectType: number;
  /** the core codec's object type (differs from objectType for explicit SBR/PS) */
  coreObjectType: number;
  /** core sampling frequency */
  samplingFrequency: number;
  /** output sampling frequency (the SBR extension rate when SBR is signalled) */
  sampleRate: number;
  channelConfiguration: number;
  /** channel count for output; 0 when only a program_config_element knows */
  channels: number;
  codecString: string;
}

function fail(message: string): never {
  throw new ProtocolError('AAC_CONFIG_INVALID', message);
}

/** GetAudioObjectType() (1.6.2.1.1): 5 bits, 31 escapes to 32 + 6 bits. */
function readObjectType(r: BitReader): number {
  const aot = r.readBits(5);
  return aot === 31 ? 32 + r.readBits(6) : aot;
}

/** samplingFrequencyIndex, with index 15 meaning an explicit 24-bit frequency. */
function readSamplingFrequency(r: BitReader): number {
  const index = r.readBits(4);
  if (index === 15) {
    const freq = r.readBits(24);
    if (freq === 0) fail('explicit AAC sampling frequency is 0');
    return freq;
  }
  const rate = AAC_SAMPLE_RATES[index];
  if (rate === undefined) fail(`reserved AAC sampling frequency index ${index}`);
  return rate;
}

/** Parse the leading fields of an AudioSpecificConfig; the codec-specific tail is not needed. */
export function parseAacConfig(asc: Uint8Array): AacConfig {
  if (asc.length < 2) fail(`AudioSpecificConfig too short (${asc.length} bytes)`);
  const r = new BitReader(asc);
  const objectType = readObjectType(r);
  if (objectType === 0) fail('AAC audioObjectType 0 (null) is invalid');
  const samplingFrequency = readSamplingFrequency(r);
  const channelConfiguration = r.readBits(4);
  let channels = CHANNELS_BY_CONFIG[channelConfiguration];
  if (channels < 0) fail(`reserved AAC channelConfiguration ${channelConfiguration}`);
  let coreObjectType = objectType;
  let sampleRate = samplingFrequency;
  if (objectType === AOT_SBR || objectType === AOT_PS) {
    // explicit hierarchical SBR/PS signalling: extension rate, then the core object type
    sampleRate = readSamplingFrequency(r);
    coreObjectType = readObjectType(r);
    if (coreObjectType === 22) r.readBits(4); // extensionChannelConfiguration (ER BSAC)
    if (objectType === AOT_PS && channelConfiguration === 1) channels = 2; // PS upmixes mono to stereo
  }
  return {
    objectType,
    coreObjectType,
    samplingFrequency,
    sampleRate,
    channelConfiguration,
    channels,
    codecString: `mp4a.40.${objectType}`,
  };
}
