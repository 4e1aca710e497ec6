import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../src/errors.js';
import { parseH264Sps } from '../../src/media/h264-sps.js';
import { buildAvcConfig, parseAvcConfig, withFourByteAvcLengths } from '../../src/media/avc-config.js';
import { splitAnnexB } from '../../src/media/annexb.js';
import { BitWriter } from './bit-writer.js';
import { fixture, probeStreams, rate } from './ffprobe.js';
import { flvTags } from './flv-file.js';

const isCode = (code: string) => (err: unknown) => err instanceof ProtocolError && err.code === code;

interface SpsFields {
  profile: number;
  constraints: number;
  level: number;
  widthMbs: number;
  heightMapUnits: number;
  frameMbsOnly?: boolean;
  crop?: [number, number, number, number];
  timing?: [number, number];
}

/** Baseline-style SPS (7.3.2.1.1): POC type 2, optional crop and VUI timing. */
function baselineSps(f: SpsFields): Buffer {
  const w = new BitWriter().u(8, f.profile).u(8, f.constraints).u(8, f.level);
  w.ue(0).ue(0).ue(2).ue(1).flag(false); // sps_id, log2_max_frame_num-4, poc type 2, refs, gaps
  w.ue(f.widthMbs - 1).ue(f.heightMapUnits - 1).flag(f.frameMbsOnly ?? true);
  if (f.frameMbsOnly === false) w.flag(false); // mb_adaptive_frame_field_flag
  w.flag(true); // direct_8x8_inference
  w.flag(!!f.crop);
  if (f.crop) f.crop.forEach((c) => w.ue(c));
  w.flag(!!f.timing); // vui_parameters_present_flag
  if (f.timing) {
    w.flag(false).flag(false).flag(false).flag(false); // aspect, overscan, signal type, chroma loc
    w.flag(true).u(32, f.timing[0]).u(32, f.timing[1]).flag(true); // timing, fixed_frame_rate
    w.flag(false).flag(false).flag(false).flag(false); // hrd x2, pic_struct, bitstream_restriction
  }
  return w.nal([0x67]);
}

test('Baseline SPS, 1080 coded as 1088 with cropping, VUI timing -> fps', () => {
  const nal = baselineSps({
    profile: 66, constraints: 0xc0, level: 40, widthMbs: 120, heightMapUnits: 68, crop: [0, 0, 0, 4], timing: [1, 60],
  });
  assert.ok(nal.includes(Buffer.from([0, 0, 3])), 'num_units_in_tick = 1 needs emulation prevention');
  const input = Buffer.from(nal);
  const sps = parseH264Sps(nal);
  assert.deepEqual(nal, input, 'input not modified');
  assert.equal(sps.width, 1920);
  assert.equal(sps.height, 1080); // 68 * 16 - 2 * 4
  assert.equal(sps.fps, 30); // 60 / (2 * 1)
  assert.equal(sps.profileName, 'Constrained Baseline');
  assert.equal(sps.codecString, 'avc1.42c028');
  assert.equal(sps.levelIdc, 40);
  assert.equal(sps.picOrderCntType, 2);
});

test('NTSC timing 1001/60000 -> 29.97; no VUI -> fps null', () => {
  const ntsc = baselineSps({ profile: 77, constraints: 0x40, level: 31, widthMbs: 80, heightMapUnits: 45, timing: [1001, 60000] });
  const a = parseH264Sps(ntsc);
  assert.equal(a.fps, 29.97);
  assert.deepEqual([a.width, a.height, a.profileName, a.codecString], [1280, 720, 'Main', 'avc1.4d401f']);
  const none = parseH264Sps(baselineSps({ profile: 66, constraints: 0, level: 10, widthMbs: 11, heightMapUnits: 9 }));
  assert.equal(none.fps, null);
  assert.deepEqual([none.width, none.height, none.profileName], [176, 144, 'Baseline']);
});

test('absurd or broken VUI timing gives fps null, not a crash', () => {
  assert.equal(parseH264Sps(baselineSps({ profile: 66, constraints: 0, level: 10, widthMbs: 2, heightMapUnits: 2, timing: [0, 50] })).fps, null);
  assert.equal(parseH264Sps(baselineSps({ profile: 66, constraints: 0, level: 10, widthMbs: 2, heightMapUnits: 2, timing: [1, 1e6] })).fps, null);
  // VUI cut short after the flag: size is known, fps is not
  const nal = baselineSps({ profile: 66, constraints: 0, level: 10, widthMbs: 20, heightMapUnits: 15, timing: [1, 50] });
  const cut = parseH264Sps(nal.subarray(0, 9));
  assert.deepEqual([cut.width, cut.height, cut.fps], [320, 240, null]);
});

test('High profile: monochrome 10-bit, scaling lists, POC type 1, field coding, cropping', () => {
  const w = new BitWriter().u(8, 110).u(8, 0x10).u(8, 30).ue(3); // High 10 Intra (set3), sps_id 3
  w.ue(0).ue(2).ue(2).flag(false); // chroma_format_idc 0, bit depths 10/10, qpprime
  w.flag(true); // seq_scaling_matrix_present_flag: 8 lists
  w.flag(true).se(-8); // list 0: delta -8 -> nextScale 0 (use default), stops after one
  w.flag(false); // list 1 absent
  for (let i = 2; i < 6; i++) w.flag(false);
  w.flag(true); // list 6 (8x8): 64 deltas of 0
  for (let i = 0; i < 64; i++) w.se(0);
  w.flag(false);
  w.ue(4); // log2_max_frame_num_minus4
  w.ue(1).flag(false).se(-3).se(2).ue(2).se(5).se(-5); // POC type 1 with a cycle of 2
  w.ue(4).flag(false); // max_num_ref_frames, gaps
  w.ue(39).ue(22).flag(false).flag(true).flag(true); // 40 MBs, 23 map units, field coding, mbaff, 8x8
  w.flag(true).ue(1).ue(2).ue(3).ue(5); // crop: monochrome crops in luma samples, x2 vertically for fields
  w.flag(false); // no VUI
  const sps = parseH264Sps(w.nal([0x67]));
  assert.equal(sps.spsId, 3);
  assert.equal(sps.chromaFormatIdc, 0);
  assert.equal(sps.bitDepthLuma, 10);
  assert.equal(sps.picOrderCntType, 1);
  assert.equal(sps.frameMbsOnly, false);
  assert.equal(sps.width, 640 - 3);
  assert.equal(sps.height, 23 * 16 * 2 - 2 * (3 + 5));
  assert.equal(sps.profileName, 'High 10 Intra');
  assert.equal(sps.codecString, 'avc1.6e101e');
  assert.equal(sps.fps, null);
});

test('High 4:4:4: 12 scaling lists, 4:4:4 crops in luma samples', () => {
  const w = new BitWriter().u(8, 244).u(8, 0).u(8, 50).ue(0);
  w.ue(3).flag(false).ue(0).ue(0).flag(false); // chroma 3, no separate planes, 8-bit
  w.flag(true);
  for (let i = 0; i < 12; i++) w.flag(true).se(-8); // every list "use default"
  w.ue(0).ue(0).ue(0); // frame num, POC type 0, lsb
  w.ue(1).flag(false).ue(119).ue(67).flag(true).flag(true);
  w.flag(true).ue(0).ue(0).ue(0).ue(8); // 4:4:4: crop unit 1 -> 1088 - 8
  w.flag(false);
  const sps = parseH264Sps(w.nal([0x67]));
  assert.deepEqual([sps.width, sps.height, sps.profileName], [1920, 1080, 'High 4:4:4 Predictive']);
});

test('SPS with absurd sizes or crops is a ProtocolError', () => {
  const huge = baselineSps({ profile: 66, constraints: 0, level: 10, widthMbs: 2000, heightMapUnits: 10 });
  assert.throws(() => parseH264Sps(huge), isCode('SPS_INVALID'));
  const tall = baselineSps({ profile: 66, constraints: 0, level: 10, widthMbs: 10, heightMapUnits: 1025 });
  assert.throws(() => parseH264Sps(tall), isCode('SPS_INVALID'));
  const overCropped = baselineSps({ profile: 66, constraints: 0, level: 10, widthMbs: 2, heightMapUnits: 2, crop: [8, 8, 0, 0] });
  assert.throws(() => parseH264Sps(overCropped), isCode('SPS_INVALID'));
  const notSps = Buffer.from([0x68, 0x42, 0, 10, 0xff]);
  assert.throws(() => parseH264Sps(notSps), isCode('SPS_INVALID'));
  const cut = baselineSps({ profile: 66, constraints: 0, level: 10, widthMbs: 20, heightMapUnits: 15 }).subarray(0, 5);
  assert.throws(() => parseH264Sps(cut), (e) => e instanceof ProtocolError);
});

for (const name of ['h264-720p25.h264', 'h264-1080p30.h264', 'h264-422-cqm-interlaced-320x180.h264']) {
  test(`x264 SPS matches ffprobe: ${name}`, () => {
    const nals = splitAnnexB(fixture(name));
    const sps = parseH264Sps(nals.find((n) => (n[0] & 0x1f) === 7)!);
    const [s] = probeStreams(name);
    assert.equal(sps.width, s.width);
    assert.equal(sps.height, s.height);
    assert.equal(sps.fps, rate(s.r_frame_rate));
    assert.equal(sps.profileName, s.profile);
    assert.equal(sps.levelIdc, s.level);
  });
}

test('x264 codec strings, hand-checked from the SPS bytes', () => {
  const codec = (name: string) => parseH264Sps(splitAnnexB(fixture(name)).find((n) => (n[0] & 0x1f) === 7)!).codecString;
  assert.equal(codec('h264-720p25.h264'), 'avc1.64001f'); // 67 64 00 1f
  assert.equal(codec('h264-1080p30.h264'), 'avc1.4d4028'); // 67 4d 40 28
  assert.equal(codec('h264-422-cqm-interlaced-320x180.h264'), 'avc1.7a0015');
});

test('avcC from ffmpeg parses, and rebuilding it from its SPS/PPS gives the same bytes', () => {
  const tag = [...flvTags(fixture('h264-aac-bframes.flv'))].find((t) => t.type === 9 && t.body[1] === 0)!;
  const record = tag.body.subarray(5);
  const before = Buffer.from(record);
  const avc = parseAvcConfig(record);
  assert.deepEqual(record, before);
  assert.equal(avc.nalLengthSize, 4);
  assert.equal(avc.sps.length, 1);
  assert.equal(avc.pps.length, 1);
  assert.deepEqual([avc.profileIdc, avc.levelIdc], [100, 13]);
  assert.deepEqual(buildAvcConfig(avc.sps, avc.pps), record); // incl. the High profile extension
});

test('avcC hand-made: 2-byte lengths, two SPS, no extension for Main; build from Annex-B', () => {
  const sps = baselineSps({ profile: 77, constraints: 0x40, level: 30, widthMbs: 45, heightMapUnits: 36 });
  const pps = Buffer.from([0x68, 0xce, 0x3c, 0x80]);
  const record = Buffer.concat([
    Buffer.from([1, 77, 0x40, 30, 0xfd, 0xe2]), // lengthSizeMinusOne 1, 2 SPS
    Buffer.from([0, sps.length]), sps, Buffer.from([0, sps.length]), sps,
    Buffer.from([1, 0, pps.length]), pps,
  ]);
  const avc = parseAvcConfig(record);
  assert.equal(avc.nalLengthSize, 2);
  assert.equal(avc.sps.length, 2);
  assert.deepEqual(avc.pps, [pps]);
  const four = withFourByteAvcLengths(record);
  assert.equal(four[4], 0xff);
  assert.equal(record[4], 0xfd, 'input untouched');
  const built = buildAvcConfig([sps], [pps]);
  assert.deepEqual([...built.subarray(0, 6)], [1, 77, 0x40, 30, 0xff, 0xe1]);
  assert.equal(built.length, 6 + 2 + sps.length + 1 + 2 + pps.length, 'no extension for Main');
});

test('broken avcC records are ProtocolErrors', () => {
  const good = buildAvcConfig([baselineSps({ profile: 66, constraints: 0, level: 10, widthMbs: 2, heightMapUnits: 2 })], [Buffer.from([0x68, 0xce])]);
  const bad = (mutate: (b: Buffer) => Buffer) => () => parseAvcConfig(mutate(Buffer.from(good)));
  assert.throws(bad((b) => ((b[0] = 0), b)), isCode('AVCC_INVALID')); // version
  assert.throws(bad((b) => ((b[4] = 0xfe), b)), isCode('AVCC_INVALID')); // length size 3
  assert.throws(bad((b) => ((b[5] = 0xe0), b)), isCode('AVCC_INVALID')); // no SPS
  assert.throws(bad((b) => ((b[7] = 0xff), b)), isCode('AVCC_INVALID')); // SPS length past the end
  assert.throws(bad((b) => b.subarray(0, b.length - 1)), isCode('AVCC_INVALID')); // PPS cut
  for (let i = 0; i < good.length; i++) {
    assert.throws(() => parseAvcConfig(good.subarray(0, i)), isCode('AVCC_INVALID'));
  }
});
