import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../src/errors.js';
import { hevcCodecString, parseHevcSps } from '../../src/media/hevc-sps.js';
import { buildHevcConfig, parseHevcConfig, withFourByteHevcLengths } from '../../src/media/hevc-config.js';
import { splitAnnexB } from '../../src/media/annexb.js';
import { BitWriter } from './bit-writer.js';
import { fixture, probeStreams, rate } from './ffprobe.js';

const isCode = (code: string) => (err: unknown) => err instanceof ProtocolError && err.code === code;
const SPS_HEADER = [0x42, 0x01]; // nal_unit_type 33, layer 0, tid 1

/** profile_tier_level with two sub-layers (7.3.3): Main 10, High tier, level 5.0. */
function writePtl(w: BitWriter): void {
  w.u(2, 0).u(1, 1).u(5, 2).u(32, 0x20000000); // space, tier H, Main 10, compat flag 2
  w.u(8, 0xb0).u(32, 0).u(8, 0); // progressive, non-packed, frame-only; rest 0
  w.u(8, 150);
  w.flag(true).flag(true).flag(false).flag(true); // sub-layer 0: profile+level, 1: level only
  w.u(12, 0); // reserved_zero_2bits for i = 2..7
  w.u(32, 0).u(32, 0).u(24, 0).u(8, 120); // sub-layer 0 profile (88 bits) + level
  w.u(8, 90); // sub-layer 1 level
}

function uhdSps(): Buffer {
  const w = new BitWriter().u(4, 0).u(3, 2).flag(false);
  writePtl(w);
  w.ue(0).ue(1).ue(3840).ue(2176); // sps id, 4:2:0, coded size
  w.flag(true).ue(0).ue(0).ue(0).ue(8); // conformance window: 8 chroma rows = 16 luma rows
  w.ue(2).ue(2).ue(4); // 10-bit, log2_max_pic_order_cnt_lsb = 8
  w.flag(true);
  for (let i = 0; i < 3; i++) w.ue(4).ue(2).ue(0); // ordering info for 3 sub-layers
  w.ue(0).ue(3).ue(0).ue(3).ue(2).ue(2); // block sizes, hierarchy depths
  w.flag(true).flag(true); // scaling lists enabled + sps data present
  for (let sizeId = 0; sizeId < 4; sizeId++) {
    for (let m = 0; m < 6; m += sizeId === 3 ? 3 : 1) {
      if (sizeId === 3 && m === 3) {
        w.flag(true).se(8); // explicit 32x32 list: dc coef + 64 deltas
        for (let i = 0; i < 64; i++) w.se(i % 2 ? 1 : -1);
      } else {
        w.flag(false).ue(0); // predicted from the default
      }
    }
  }
  w.flag(true).flag(true); // amp, sao
  w.flag(true).u(4, 7).u(4, 7).ue(0).ue(1).flag(false); // pcm
  w.ue(3); // num_short_term_ref_pic_sets
  w.ue(2).ue(1).ue(0).flag(true).ue(1).flag(true).ue(0).flag(false); // set 0: 2 negative, 1 positive
  w.flag(true).flag(false).ue(0); // set 1: predicted from set 0, delta_rps_sign, abs_delta_rps_minus1
  w.flag(true).flag(false).flag(true).flag(false).flag(false).flag(true); // j 0..3: used / use_delta
  w.flag(false).ue(1).ue(0).ue(0).flag(true); // set 2: explicit, 1 negative
  w.flag(true).ue(2).u(8, 17).flag(true).u(8, 33).flag(false); // long-term pics (poc lsb 8 bits)
  w.flag(true).flag(true); // temporal mvp, strong intra smoothing
  w.flag(true); // vui_parameters_present_flag
  w.flag(true).u(8, 255).u(16, 4).u(16, 3); // Extended_SAR
  w.flag(false).flag(true).u(3, 5).flag(false).flag(true).u(24, 0x010101); // video signal + colour
  w.flag(true).ue(0).ue(0); // chroma loc
  w.flag(false).flag(false).flag(false); // neutral chroma, field seq, frame field info
  w.flag(true).ue(0).ue(0).ue(0).ue(0); // default display window
  w.flag(true).u(32, 1001).u(32, 60000).flag(false).flag(false); // timing, no poc prop, no hrd
  w.flag(false).flag(false); // bitstream restriction, extension
  return w.nal(SPS_HEADER);
}

test('HEVC SPS: sub-layers, scaling lists, inter RPS, long-term refs, VUI timing', () => {
  const nal = uhdSps();
  const before = Buffer.from(nal);
  const sps = parseHevcSps(nal);
  assert.deepEqual(nal, before);
  assert.equal(sps.width, 3840);
  assert.equal(sps.height, 2160);
  assert.equal(sps.fps, 59.94); // 60000 / 1001: one tick per picture in HEVC
  assert.equal(sps.maxSubLayers, 3);
  assert.equal(sps.bitDepthLuma, 10);
  assert.equal(sps.profileName, 'Main 10');
  assert.equal(sps.ptl.levelIdc, 150);
  assert.equal(sps.codecString, 'hvc1.2.4.H150.B0');
});

test('HEVC SPS: 4:4:4 with separate planes crops in luma samples; no VUI -> fps null', () => {
  const w = new BitWriter().u(4, 0).u(3, 0).flag(true);
  w.u(2, 0).u(1, 0).u(5, 4).u(32, 0x08000000).u(8, 0x90).u(32, 0).u(8, 0).u(8, 93);
  w.ue(0).ue(3).flag(true).ue(1280).ue(736).flag(true).ue(0).ue(2).ue(0).ue(16);
  w.ue(0).ue(0).ue(4).flag(false).ue(4).ue(2).ue(0).ue(0).ue(3).ue(0).ue(0).ue(0).ue(0);
  w.flag(false).flag(false).flag(false).flag(false).ue(0).flag(false).flag(false).flag(false).flag(false);
  const sps = parseHevcSps(w.nal(SPS_HEADER));
  assert.deepEqual([sps.width, sps.height, sps.fps], [1278, 720, null]);
  assert.equal(sps.profileName, 'Rext');
  assert.equal(sps.codecString, 'hvc1.4.10.L93.90');
});

test('HEVC codec string: profile space letter, reversed compat flags, trailing zero bytes dropped', () => {
  const ptl = (over: object) => ({
    profileSpace: 0, tierFlag: 0, profileIdc: 1, compatibilityFlags: 0x60000000,
    constraintBytes: Buffer.from([0xb0, 0, 0, 0, 0, 0]), levelIdc: 93, ...over,
  });
  assert.equal(hevcCodecString(ptl({})), 'hvc1.1.6.L93.B0');
  assert.equal(hevcCodecString(ptl({ profileSpace: 1, tierFlag: 1, levelIdc: 120 })), 'hvc1.A1.6.H120.B0');
  assert.equal(hevcCodecString(ptl({ compatibilityFlags: 0x80000001 })), 'hvc1.1.80000001.L93.B0');
  assert.equal(hevcCodecString(ptl({ constraintBytes: Buffer.from([0x90, 0, 0x23, 0, 0, 0]) })), 'hvc1.1.6.L93.90.0.23');
  assert.equal(hevcCodecString(ptl({ constraintBytes: Buffer.alloc(6) })), 'hvc1.1.6.L93.0');
});

test('HEVC SPS with absurd sizes is a ProtocolError; a damaged tail only loses fps', () => {
  const make = (width: number, height: number) => {
    const w = new BitWriter().u(4, 0).u(3, 0).flag(true);
    w.u(2, 0).u(1, 0).u(5, 1).u(32, 0x60000000).u(8, 0x90).u(32, 0).u(8, 0).u(8, 93);
    w.ue(0).ue(1).ue(width).ue(height).flag(false).ue(0).ue(0).ue(4);
    return w.nal(SPS_HEADER);
  };
  assert.throws(() => parseHevcSps(make(20000, 1080)), isCode('SPS_INVALID'));
  assert.throws(() => parseHevcSps(make(1920, 0)), isCode('SPS_INVALID'));
  const tailless = parseHevcSps(make(1920, 1080)); // stops right after log2_max_pic_order_cnt_lsb
  assert.deepEqual([tailless.width, tailless.height, tailless.fps], [1920, 1080, null]);
  assert.throws(() => parseHevcSps(Buffer.from([0x40, 0x01, 0x0c])), isCode('SPS_INVALID'));
  const nal = uhdSps();
  for (let i = 0; i < 24; i++) assert.throws(() => parseHevcSps(nal.subarray(0, i)), (e) => e instanceof ProtocolError);
});

const HEVC = 'hevc-426x240p30.hevc';

test('libx265 SPS matches ffprobe (conformance window 432 -> 426)', () => {
  const sps = parseHevcSps(splitAnnexB(fixture(HEVC)).find((n) => ((n[0] >> 1) & 0x3f) === 33)!);
  const [s] = probeStreams(HEVC);
  assert.equal(sps.width, s.width);
  assert.equal(sps.height, s.height);
  assert.equal(sps.fps, rate(s.r_frame_rate));
  assert.equal(sps.profileName, s.profile);
  assert.equal(sps.ptl.levelIdc, s.level);
  assert.equal(sps.codecString, 'hvc1.1.6.L60.90');
});

test('hvcC from ffmpeg parses; building one from the Annex-B parameter sets gives the same record', () => {
  const ffmpegRecord = fixture('hevc-426x240p30.hvcC');
  const before = Buffer.from(ffmpegRecord);
  const cfg = parseHevcConfig(ffmpegRecord);
  assert.deepEqual(ffmpegRecord, before);
  assert.deepEqual([cfg.vps.length, cfg.sps.length, cfg.pps.length, cfg.nalLengthSize], [1, 1, 1, 4]);
  assert.deepEqual([cfg.profileIdc, cfg.levelIdc], [1, 60]);
  const nals = splitAnnexB(fixture(HEVC));
  const ofType = (t: number) => nals.filter((n) => ((n[0] >> 1) & 0x3f) === t);
  assert.deepEqual(cfg.sps, ofType(33));
  const built = buildHevcConfig(ofType(32), ofType(33), ofType(34));
  // ffmpeg 5.1 writes array_completeness = 0; ISO 14496-15 wants 1 for hvc1, which we write
  const normalized = Buffer.from(ffmpegRecord);
  for (const a of parseHevcConfig(normalized).arrays) assert.equal(a.completeness, false);
  let pos = 23;
  for (let a = 0; a < normalized[22]; a++) {
    normalized[pos] |= 0x80;
    const count = normalized.readUInt16BE(pos + 1);
    pos += 3;
    for (let i = 0; i < count; i++) pos += 2 + normalized.readUInt16BE(pos);
  }
  assert.deepEqual(built, normalized);
});

test('hvcC with 2-byte lengths; withFourByteHevcLengths copies', () => {
  const rec = Buffer.from(fixture('hevc-426x240p30.hvcC'));
  rec[21] = (rec[21] & 0xfc) | 1;
  assert.equal(parseHevcConfig(rec).nalLengthSize, 2);
  const four = withFourByteHevcLengths(rec);
  assert.equal(four[21] & 3, 3);
  assert.equal(rec[21] & 3, 1);
});

test('broken hvcC records are ProtocolErrors', () => {
  const good = fixture('hevc-426x240p30.hvcC');
  for (let i = 0; i < good.length; i++) {
    assert.throws(() => parseHevcConfig(good.subarray(0, i)), isCode('HVCC_INVALID'), `cut at ${i}`);
  }
  const v2 = Buffer.from(good);
  v2[0] = 2;
  assert.throws(() => parseHevcConfig(v2), isCode('HVCC_INVALID'));
  const three = Buffer.from(good);
  three[21] = (three[21] & 0xfc) | 2;
  assert.throws(() => parseHevcConfig(three), isCode('HVCC_INVALID'));
  const noArrays = Buffer.from(good.subarray(0, 23));
  noArrays[22] = 0;
  assert.throws(() => parseHevcConfig(noArrays), isCode('HVCC_INVALID'));
});
