/**
 * Byte-level checks of the box builders against the ISO 14496-12 / 14496-14
 * layouts, written out by hand field by field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { box, boxHeader, boxParts, boxSize, fullBox, toBuffer, u32, u64 } from '../../src/mp4/boxes.js';
import { hdlr, mdhd, mvhd, tkhd, trex } from '../../src/mp4/init-segment.js';
import { esds } from '../../src/mp4/sample-entries.js';
import { SAMPLE_FLAGS_NON_SYNC, SAMPLE_FLAGS_SYNC, buildFragment, mfhd, tfdt, tfhd, trun } from '../../src/mp4/fragment.js';
import { trackFor } from '../../src/mp4/track-config.js';
import type { CodecConfig } from '../../src/media/frame.js';
import { readBoxHeader, readBoxes } from '../../src/mp4/mp4-reader.js';

/** hex with spaces/newlines and // comments allowed */
function hex(s: string): Buffer {
  return Buffer.from(s.replace(/\/\/[^\n]*/g, '').replace(/\s+/g, ''), 'hex');
}

const VIDEO: CodecConfig = {
  track: 'video',
  codec: 'h264',
  record: Buffer.from([1, 0x64, 0, 0x1f, 0xff, 0xe0, 0]),
  info: { codec: 'h264', width: 320, height: 240, fps: 25, profile: 'High', level: 31, codecString: 'avc1.64001f' },
};
const AAC: CodecConfig = {
  track: 'audio',
  codec: 'aac',
  record: Buffer.from([0x12, 0x10]), // AAC LC, 44.1 kHz, stereo
  info: { codec: 'aac', sampleRate: 44100, channels: 2, objectType: 2, codecString: 'mp4a.40.2' },
};

const MATRIX = `
  00010000 00000000 00000000
  00000000 00010000 00000000
  00000000 00000000 40000000`;

test('mvhd v0 (8.2.2): timescale 1000, rate 1.0, volume 1.0, unity matrix, next_track_ID', () => {
  assert.deepEqual(toBuffer(mvhd(3)), hex(`
    0000006c 6d766864 00000000 // size 108, 'mvhd', version 0, flags 0
    00000000 00000000          // creation_time, modification_time
    000003e8 00000000          // timescale 1000, duration 0
    00010000 0100 0000         // rate, volume, reserved
    00000000 00000000          // reserved[2]
    ${MATRIX}
    000000000000000000000000000000000000000000000000 // pre_defined[6]
    00000003                   // next_track_ID`));
});

test('tkhd v0 (8.3.2): enabled|in_movie, track id, width/height 16.16, volume 0 for video', () => {
  assert.deepEqual(toBuffer(tkhd(trackFor(VIDEO))), hex(`
    0000005c 746b6864 00000003 // size 92, 'tkhd', v0, flags enabled|in_movie
    00000000 00000000          // creation_time, modification_time
    00000001 00000000          // track_ID 1, reserved
    00000000                   // duration
    00000000 00000000          // reserved[2]
    0000 0000 0000 0000        // layer, alternate_group, volume, reserved
    ${MATRIX}
    01400000 00f00000          // width 320.0, height 240.0`));
  const audio = toBuffer(tkhd(trackFor(AAC)));
  assert.equal(audio.readUInt32BE(20), 2, 'audio track id 2');
  assert.equal(audio.readUInt16BE(44), 0x0100, 'audio volume 1.0');
  assert.equal(audio.readUInt32BE(84), 0);
});

test('mdhd v0 (8.4.2): 90 kHz video timescale, language und', () => {
  assert.deepEqual(toBuffer(mdhd(90000)), hex(`
    00000020 6d646864 00000000 // size 32, 'mdhd'
    00000000 00000000          // creation_time, modification_time
    00015f90 00000000          // timescale 90000, duration 0
    55c4 0000                  // pad + 'und', pre_defined`));
  assert.equal(trackFor(AAC).timescale, 44100, 'audio timescale = sample rate');
});

test('hdlr (8.4.3) and trex (8.8.3)', () => {
  assert.deepEqual(toBuffer(hdlr('soun')), hex(`
    0000002d 68646c72 00000000 // size 45, 'hdlr'
    00000000 736f756e          // pre_defined, 'soun'
    00000000 00000000 00000000 // reserved[3]
    536f756e6448616e646c657200 // "SoundHandler\\0"`));
  assert.deepEqual(toBuffer(trex(2)), hex(`
    00000020 74726578 00000000 // size 32, 'trex'
    00000002 00000001          // track_ID 2, default_sample_description_index 1
    00000000 00000000 00000000 // default duration, size, flags`));
});

test('esds (14496-14 5.6, 14496-1 7.2.6): ES > DecoderConfig(0x40, audio) > ASC, SLConfig predefined 2', () => {
  assert.deepEqual(toBuffer(esds(0x40, AAC.record)), hex(`
    00000027 65736473 00000000 // size 39, 'esds', v0
    03 19 0000 00              // ES_DescrTag, 25 bytes, ES_ID 0, no flags
    04 11 40 15 000000         // DecoderConfigDescrTag, 17 bytes, AAC, streamType 5 << 2 | 1, bufferSizeDB
    00000000 00000000          // maxBitrate, avgBitrate
    05 02 1210                 // DecSpecificInfoTag: the AudioSpecificConfig
    06 01 02                   // SLConfigDescrTag, predefined 2`));
});

test('mfhd, tfhd (default-base-is-moof) and tfdt v1 with a decode time above 2^32', () => {
  assert.deepEqual(toBuffer(mfhd(7)), hex('00000010 6d666864 00000000 00000007'));
  assert.deepEqual(toBuffer(tfhd(1)), hex('00000010 74666864 00020000 00000001'));
  assert.deepEqual(toBuffer(tfdt(2 ** 32 + 5)), hex(`
    00000014 74666474 01000000 // size 20, 'tfdt', version 1
    00000001 00000005          // baseMediaDecodeTime, 64-bit`));
  // 14 days at 90 kHz: far past the 32-bit wrap (13 h 15 m)
  assert.equal(toBuffer(tfdt(14 * 86400 * 90000)).readBigUInt64BE(12), BigInt(14 * 86400 * 90000));
});

test('trun v1 (8.8.8): data offset, duration/size/flags and a negative composition offset', () => {
  const samples = [
    { duration: 3600, size: 100, flags: SAMPLE_FLAGS_SYNC, compositionOffset: 7200 },
    { duration: 3600, size: 50, flags: SAMPLE_FLAGS_NON_SYNC, compositionOffset: -3600 },
  ];
  assert.deepEqual(toBuffer(trun(samples, true, u32(0x74))), hex(`
    00000034 7472756e 01000f01 // size 52, 'trun', version 1, flags data-offset|duration|size|flags|cts
    00000002 00000074          // sample_count 2, data_offset 116
    00000e10 00000064 02000000 00001c20 // 3600, 100, sync (depends_on 2), +7200
    00000e10 00000032 01010000 fffff1f0 // 3600, 50, non-sync (depends_on 1), -3600`));
  // audio: version 0, no composition offsets
  assert.deepEqual(toBuffer(trun([{ duration: 1024, size: 9, flags: SAMPLE_FLAGS_SYNC, compositionOffset: 0 }], false, u32(0))), hex(`
    00000020 7472756e 00000701 00000001 00000000
    00000400 00000009 02000000`));
});

test('buildFragment: data_offset points past moof + mdat header, track after track; payloads uncopied', () => {
  const v = [Buffer.from('video-one'), Buffer.from('v2')];
  const a = [Buffer.from('aac')];
  const f = buildFragment(1, [
    { trackId: 1, baseDecodeTime: 0, compositionOffsets: true, payloads: v, samples: v.map((p, i) => ({ duration: 3600, size: p.length, flags: i ? SAMPLE_FLAGS_NON_SYNC : SAMPLE_FLAGS_SYNC, compositionOffset: 0 })) },
    { trackId: 2, baseDecodeTime: 2 ** 33, compositionOffsets: false, payloads: a, samples: [{ duration: 1024, size: 3, flags: SAMPLE_FLAGS_SYNC, compositionOffset: 0 }] },
    { trackId: 3, baseDecodeTime: 0, compositionOffsets: false, payloads: [], samples: [] },
  ]);
  assert.equal(f.parts.length, 5);
  assert.equal(f.parts[2], v[0], 'the payload Buffer itself, not a copy');
  const file = Buffer.concat(f.parts);
  assert.equal(file.length, f.byteLength);
  const moof = readBoxHeader(file, 0)!;
  assert.equal(moof.type, 'moof');
  const trafs = readBoxes(file, 8 + 16, moof.end, 1).boxes;
  assert.deepEqual(trafs.map((b) => b.type), ['traf', 'traf'], 'no traf for a track without samples');
  // data_offset sits after trun's size, type, version/flags and sample_count
  const offsets = trafs.map((t) => file.readInt32BE(t.end - (t === trafs[0] ? 2 * 16 : 12) - 4));
  assert.deepEqual(offsets, [moof.end + 8, moof.end + 8 + 11]);
  assert.equal(file.toString('latin1', moof.end + 4, moof.end + 8), 'mdat');
  assert.equal(file.toString('latin1', offsets[0], offsets[0] + 11), 'video-onev2');
  assert.equal(file.toString('latin1', offsets[1]), 'aac');
  assert.throws(() => buildFragment(1, [{ trackId: 1, baseDecodeTime: 0, compositionOffsets: false, payloads: [Buffer.alloc(2)], samples: [{ duration: 1, size: 3, flags: 0, compositionOffset: 0 }] }]), RangeError);
});

test('serializer: sizes of nested boxes, 64-bit largesize when a box exceeds 2^32 - 1 bytes', () => {
  const tree = box('moov', fullBox('mvex', 0, 0, box('trex', u32(1))), Buffer.from([9]));
  assert.equal(boxSize(tree), 8 + (12 + 12) + 1);
  assert.deepEqual(toBuffer(tree), hex('00000021 6d6f6f76 00000018 6d766578 00000000 0000000c 74726578 00000001 09'));
  assert.deepEqual(boxParts(tree).length, 6);
  assert.deepEqual(boxHeader('mdat', 0xffffffff - 8), hex('ffffffff 6d646174'));
  assert.deepEqual(boxHeader('mdat', 0xffffffff - 7), hex('00000001 6d646174 00000001 00000008'));
  assert.deepEqual(boxHeader('mdat', 2 ** 32), hex('00000001 6d646174 00000001 00000010'));
  assert.deepEqual(u64(2 ** 53 - 1), hex('001fffff ffffffff'));
  assert.throws(() => u64(-1), RangeError);
  assert.throws(() => box('moo', Buffer.alloc(0)), RangeError);
});
