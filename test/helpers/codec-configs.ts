/** Codec configurations for unit tests that need a track but not real media. */
import type { CodecConfig } from '../../src/media/frame.js';

export type VideoConfig = Extract<CodecConfig, { track: 'video' }>;
export type AudioConfig = Extract<CodecConfig, { track: 'audio' }>;

/** avcC with one High-profile SPS and one PPS (3.1, 640x360 claimed) */
export const H264_CONFIG: VideoConfig = {
  track: 'video',
  codec: 'h264',
  record: Buffer.from([1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0, 0x1f, 1, 0, 2, 0x68, 0xee]),
  info: { codec: 'h264', width: 640, height: 360, fps: 25, profile: 'High', level: 31, codecString: 'avc1.64001f' },
};

/** AudioSpecificConfig: AAC LC, 44.1 kHz, stereo */
export const AAC_CONFIG: AudioConfig = {
  track: 'audio',
  codec: 'aac',
  record: Buffer.from([0x12, 0x10]),
  info: { codec: 'aac', sampleRate: 44100, channels: 2, objectType: 2, codecString: 'mp4a.40.2' },
};

/** G.711 A-law has no configuration record */
export function pcmaConfig(channels: number): AudioConfig {
  return { track: 'audio', codec: 'pcma', record: Buffer.alloc(0), info: { codec: 'pcma', sampleRate: 8000, channels, objectType: null, codecString: 'alaw' } };
}
