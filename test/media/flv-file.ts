/**
 * Test helpers: a tiny FLV file tag iterator (FLV 10.1 E.2/E.3) and writers
 * for synthetic RTMP message bodies. Pure, no I/O.
 */
import { FlvDemuxer } from '../../src/media/flv-demuxer.js';
import type { CodecConfig, MediaFrame } from '../../src/media/frame.js';

export interface FlvTag {
  /** 8 = audio, 9 = video, 18 = script data */
  type: number;
  /** 32-bit ms: TimestampExtended is the high byte */
  timestamp: number;
  body: Buffer;
}

export function* flvTags(file: Buffer): Generator<FlvTag> {
  if (file.length < 9 || file.toString('latin1', 0, 3) !== 'FLV') throw new Error('not an FLV file');
  let pos = file.readUInt32BE(5); // DataOffset: header size
  pos += 4; // PreviousTagSize0
  while (pos + 11 <= file.length) {
    const type = file[pos] & 0x1f;
    const size = file.readUIntBE(pos + 1, 3);
    const timestamp = (file.readUIntBE(pos + 4, 3) | (file[pos + 7] << 24)) >>> 0;
    const start = pos + 11;
    if (start + size > file.length) throw new Error(`FLV tag at ${pos} runs past the end`);
    yield { type, timestamp, body: file.subarray(start, start + size) };
    pos = start + size + 4; // skip PreviousTagSize
  }
}

export function si24(n: number): Buffer {
  const b = Buffer.alloc(3);
  b.writeIntBE(n, 0, 3);
  return b;
}

export function lengthPrefixed(nals: Buffer[], size = 4): Buffer {
  return Buffer.concat(
    nals.flatMap((n) => {
      const len = Buffer.alloc(size);
      len.writeUIntBE(n.length, 0, size);
      return [len, n];
    }),
  );
}

/** Legacy video tag: FrameType(4) CodecID(4), AVCPacketType, SI24 composition time, data. */
export function legacyVideoTag(codecId: number, keyframe: boolean, packetType: number, cts: number, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([((keyframe ? 1 : 2) << 4) | codecId, packetType]), si24(cts), data]);
}

/** Enhanced RTMP video tag: IsExHeader | FrameType(3) | PacketType(4), FourCC, [SI24], data. */
export function exVideoTag(fourCc: string, keyframe: boolean, packetType: number, data: Buffer, cts?: number): Buffer {
  const head = Buffer.concat([Buffer.from([0x80 | ((keyframe ? 1 : 2) << 4) | packetType]), Buffer.from(fourCc, 'latin1')]);
  return Buffer.concat(cts === undefined ? [head, data] : [head, si24(cts), data]);
}

/** Enhanced RTMP audio tag: SoundFormat 9 | PacketType(4), FourCC, data. */
export function exAudioTag(fourCc: string, packetType: number, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x90 | packetType]), Buffer.from(fourCc, 'latin1'), data]);
}

/** Deterministic PRNG (mulberry32) for fuzz loops. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A whole FLV file through our demuxer: its configs and frames, in file order. */
export function demuxFlvFile(file: Buffer): { configs: CodecConfig[]; frames: MediaFrame[] } {
  const d = new FlvDemuxer();
  const configs: CodecConfig[] = [];
  const frames: MediaFrame[] = [];
  for (const tag of flvTags(file)) {
    if (tag.type !== 8 && tag.type !== 9) continue;
    for (const o of d.push(tag.type === 9 ? 'video' : 'audio', tag.timestamp, tag.body)) {
      if (o.type === 'config') configs.push(o.config);
      else if (o.type === 'frame') frames.push(o.frame);
    }
  }
  return { configs, frames };
}
