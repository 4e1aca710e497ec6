/**
 * Synthetic frames and configs for the HLS unit tests, and a reader for what
 * the chunker makes.
 */
import assert from 'node:assert/strict';
import type { AudioFrame, CodecConfig, MediaFrame, VideoFrame } from '../../src/media/frame.js';
import { isSync, parseMoof, readBoxHeader, scanFragments, type MoofTraf } from '../../src/mp4/mp4-reader.js';

import { AAC_CONFIG, H264_CONFIG, type AudioConfig, type VideoConfig } from '../helpers/codec-configs.js';

export type { AudioConfig, VideoConfig };
export const VIDEO = H264_CONFIG;
/** the same stream at another size: another SPS */
export const VIDEO_SMALL: VideoConfig = {
  ...VIDEO,
  record: Buffer.from([1, 0x64, 0, 0x1e, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0, 0x1e, 1, 0, 2, 0x68, 0xee]),
  info: { ...VIDEO.info, width: 320, height: 240, level: 30, codecString: 'avc1.64001e' },
};
export const AAC = AAC_CONFIG;
export const PCMA: AudioConfig = {
  track: 'audio',
  codec: 'pcma',
  record: Buffer.alloc(0),
  info: { codec: 'pcma', sampleRate: 8000, channels: 1, objectType: null, codecString: 'alaw' },
};

let counter = 0;
export function payload(n: number): Buffer {
  const b = Buffer.alloc(n);
  b.writeUInt32BE(n - 4, 0);
  b.writeUInt32BE(++counter, 4);
  return b;
}

/** `count` video frames `step` ms apart, a keyframe every `gop` frames (counting from `start`) */
export function video(count: number, opts: { start?: number; step?: number; gop?: number; size?: number } = {}): VideoFrame[] {
  const { start = 0, step = 40, gop = 25, size = 100 } = opts;
  return Array.from({ length: count }, (_, i) => ({
    track: 'video', codec: 'h264', dts: start + i * step, pts: start + i * step, keyframe: i % gop === 0, payload: payload(size),
  }));
}

export function aac(count: number, start = 0): AudioFrame[] {
  return Array.from({ length: count }, (_, i) => {
    const dts = start + Math.round((i * 1024 * 1000) / 44100);
    return { track: 'audio', codec: 'aac', dts, pts: dts, keyframe: true, payload: payload(20) };
  });
}

export function pcma(count: number, start = 0): AudioFrame[] {
  return Array.from({ length: count }, (_, i) => ({ track: 'audio', codec: 'pcma', dts: start + i * 20, pts: start + i * 20, keyframe: true, payload: payload(160) }));
}

/** merge by dts, video first on ties, as RTMP interleaves */
export function interleave(...tracks: MediaFrame[][]): MediaFrame[] {
  return tracks.flat().sort((a, b) => a.dts - b.dts || (a.track === 'video' ? -1 : 1));
}

/** Parses init + fragments back; per fragment, its trafs. */
export function readBack(init: Buffer, fragments: Buffer[]) {
  const file = Buffer.concat([init, ...fragments]);
  const scan = scanFragments(file);
  assert.equal(scan.error, undefined);
  assert.equal(scan.validEnd, file.length);
  const tracks = scan.init!.tracks;
  const moofs = scan.fragments.map((f) => parseMoof(file, readBoxHeader(file, f.offset)!, 0, tracks));
  const traf = (i: number, handler: 'vide' | 'soun'): MoofTraf | undefined => moofs[i].trafs.find((t) => t.track.handler === handler);
  const firstSync = (i: number) => isSync(traf(i, 'vide')!.samples[0].flags);
  return { tracks, moofs, traf, firstSync };
}

