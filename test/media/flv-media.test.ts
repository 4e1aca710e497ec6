import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../src/errors.js';
import { parseAudioBody, parseVideoBody, type VideoParseResult } from '../../src/media/flv-media.js';
import type { AudioParseResult } from '../../src/media/flv-audio.js';
import { buildAvcConfig } from '../../src/media/avc-config.js';
import { splitAnnexB } from '../../src/media/annexb.js';
import { exAudioTag, exVideoTag, legacyVideoTag, lengthPrefixed } from './flv-file.js';
import { fixture } from './ffprobe.js';

const isCode = (code: string) => (err: unknown) => err instanceof ProtocolError && err.code === code;

const nals = splitAnnexB(fixture('h264-720p25.h264'));
const SPS = nals.find((n) => (n[0] & 0x1f) === 7)!;
const PPS = nals.find((n) => (n[0] & 0x1f) === 8)!;
const IDR = nals.find((n) => (n[0] & 0x1f) === 5)!;
const AVCC = buildAvcConfig([SPS], [PPS]);
const hevcNals = splitAnnexB(fixture('hevc-426x240p30.hevc'));
const HVCC = fixture('hevc-426x240p30.hvcC');

/** Parse while checking the body is left untouched. */
function video(body: Buffer, dts = 1000, nalLengthSize = 4): VideoParseResult {
  const copy = Buffer.from(body);
  const r = parseVideoBody(body, dts, nalLengthSize);
  assert.deepEqual(body, copy, 'parseVideoBody modified its input');
  return r;
}

function audio(body: Buffer, dts = 1000): AudioParseResult {
  const copy = Buffer.from(body);
  const r = parseAudioBody(body, dts);
  assert.deepEqual(body, copy, 'parseAudioBody modified its input');
  return r;
}

function frameOf(r: VideoParseResult | AudioParseResult) {
  assert.equal(r.kind, 'frame', JSON.stringify(r));
  return (r as Extract<typeof r, { kind: 'frame' }>).frame;
}

test('legacy AVC sequence header -> config with info; the record says 4-byte lengths', () => {
  const rec2 = Buffer.from(AVCC);
  rec2[4] = 0xfd; // publisher uses 2-byte NAL lengths
  const r = video(legacyVideoTag(7, true, 0, 0, rec2));
  assert.equal(r.kind, 'config');
  if (r.kind !== 'config') return;
  assert.equal(r.nalLengthSize, 2);
  assert.equal(r.config.record[4], 0xff);
  assert.deepEqual(r.config.info, {
    codec: 'h264', width: 1280, height: 720, fps: 25, profile: 'High', level: 31, codecString: 'avc1.64001f',
  });
});

test('legacy AVC NALU: SI24 composition time is sign-extended', () => {
  const data = lengthPrefixed([IDR]);
  for (const [cts, pts] of [[-33, 967], [80, 1080], [0x7fffff, 1000 + 0x7fffff], [-0x800000, 1000 - 0x800000]]) {
    const f = frameOf(video(legacyVideoTag(7, true, 1, cts, data)));
    assert.deepEqual([f.dts, f.pts, f.keyframe, f.codec], [1000, pts, true, 'h264']);
    assert.deepEqual(f.payload, data);
  }
  const raw = Buffer.from([0x27, 0x01, 0xff, 0xff, 0xdf, ...data]); // inter frame, cts bytes ff ff df = -33
  const f = frameOf(video(raw));
  assert.deepEqual([f.pts, f.keyframe], [967, false]);
});

test('NAL length size 1/2 payloads are rewritten with 4-byte lengths', () => {
  const two = lengthPrefixed([IDR.subarray(0, 300), PPS], 2);
  const f = frameOf(video(legacyVideoTag(7, true, 1, 0, two), 0, 2));
  assert.deepEqual(f.payload, lengthPrefixed([IDR.subarray(0, 300), PPS]));
  const one = lengthPrefixed([PPS], 1);
  assert.deepEqual(frameOf(video(legacyVideoTag(7, false, 1, 0, one), 0, 1)).payload, lengthPrefixed([PPS]));
});

test('a declared NAL length past the end is a ProtocolError', () => {
  const data = Buffer.concat([Buffer.from([0, 0, 0x10, 0]), IDR.subarray(0, 100)]);
  assert.throws(() => video(legacyVideoTag(7, true, 1, 0, data)), isCode('NAL_LENGTH_OVERFLOW'));
});

test('Annex-B inside FLV (srs#184): frames and sequence header are converted', () => {
  const annexB = Buffer.concat([Buffer.from([0, 0, 0, 1]), IDR, Buffer.from([0, 0, 1]), PPS]);
  const f = frameOf(video(legacyVideoTag(7, true, 1, 40, annexB)));
  assert.deepEqual(f.payload, lengthPrefixed([IDR, PPS]));
  const threeByte = Buffer.concat([Buffer.from([0, 0, 1]), IDR]);
  assert.deepEqual(frameOf(video(legacyVideoTag(7, true, 1, 0, threeByte))).payload, lengthPrefixed([IDR]));
  const header = Buffer.concat([Buffer.from([0, 0, 0, 1]), SPS, Buffer.from([0, 0, 0, 1]), PPS]);
  const r = video(legacyVideoTag(7, true, 0, 0, header));
  assert.equal(r.kind, 'config');
  if (r.kind === 'config') {
    assert.deepEqual(r.config.record, AVCC);
    assert.equal(r.nalLengthSize, 4);
  }
  const noPps = Buffer.concat([Buffer.from([0, 0, 0, 1]), SPS]);
  assert.throws(() => video(legacyVideoTag(7, true, 0, 0, noPps)), isCode('FLV_SEQUENCE_HEADER_INVALID'));
});

test('legacy: end of sequence, command frames and other codecs', () => {
  assert.equal(video(legacyVideoTag(7, true, 2, 0, Buffer.alloc(0))).kind, 'end');
  assert.deepEqual(video(Buffer.from([0x57, 0x00])), { kind: 'skip', reason: 'video info/command frame', quiet: true });
  const sorenson = video(Buffer.from([0x22, 1, 2, 3]));
  assert.deepEqual(sorenson, { kind: 'skip', reason: 'unsupported video codec id 2 (Sorenson H.263)' });
  assert.equal(video(Buffer.from([0x14, 0])).kind, 'skip'); // VP6
  assert.equal(video(Buffer.alloc(0)).kind, 'skip');
  assert.equal(video(legacyVideoTag(7, true, 9, 0, Buffer.alloc(4))).kind, 'skip');
  assert.equal(video(legacyVideoTag(7, true, 1, 0, Buffer.alloc(0))).kind, 'skip'); // empty frame
  assert.throws(() => video(Buffer.from([0x17, 1, 0])), isCode('FLV_VIDEO_TRUNCATED'));
});

test('legacy HEVC (codec id 12) uses the AVC layout', () => {
  const r = video(legacyVideoTag(12, true, 0, 0, HVCC));
  assert.equal(r.kind, 'config');
  if (r.kind === 'config') assert.equal(r.config.info.codecString, 'hvc1.1.6.L60.90');
  const f = frameOf(video(legacyVideoTag(12, false, 1, -20, lengthPrefixed([hevcNals[5]]))));
  assert.deepEqual([f.codec, f.pts, f.keyframe], ['h265', 980, false]);
});

test('Enhanced RTMP video: SequenceStart, CodedFrames (SI24), CodedFramesX, SequenceEnd', () => {
  for (const [fourCc, record, codec] of [['avc1', AVCC, 'h264'], ['hvc1', HVCC, 'h265']] as const) {
    const cfg = video(exVideoTag(fourCc, true, 0, record));
    assert.equal(cfg.kind, 'config');
    if (cfg.kind === 'config') assert.equal(cfg.config.codec, codec);
    const payload = lengthPrefixed([codec === 'h264' ? IDR : hevcNals[4]]);
    const f1 = frameOf(video(exVideoTag(fourCc, true, 1, payload, -40)));
    assert.deepEqual([f1.codec, f1.dts, f1.pts, f1.keyframe], [codec, 1000, 960, true]);
    assert.deepEqual(f1.payload, payload);
    const f3 = frameOf(video(exVideoTag(fourCc, false, 3, payload)));
    assert.deepEqual([f3.pts, f3.keyframe], [1000, false]);
    assert.equal(video(exVideoTag(fourCc, true, 2, Buffer.alloc(0))).kind, 'end');
  }
});

test('Enhanced RTMP video: skips for metadata, MPEG-2 TS, multitrack, command frames, other FourCCs', () => {
  const reason = (body: Buffer) => {
    const r = video(body);
    assert.equal(r.kind, 'skip');
    return r.kind === 'skip' ? r.reason : '';
  };
  assert.match(reason(exVideoTag('hvc1', true, 4, Buffer.from([2, 0, 9]))), /metadata/);
  assert.match(reason(exVideoTag('avc1', true, 5, Buffer.alloc(8))), /MPEG2TSSequenceStart/);
  assert.match(reason(Buffer.from([0x96, 0x00, 0x61, 0x76, 0x63, 0x31])), /multitrack video is not supported yet/);
  assert.match(reason(Buffer.from([0xd1, 0x00])), /command/);
  assert.match(reason(exVideoTag('av01', true, 0, Buffer.alloc(4))), /unsupported video FourCC "av01"/);
  assert.match(reason(exVideoTag('vp09', false, 1, Buffer.alloc(4))), /"vp09"/);
  assert.match(reason(exVideoTag('avc1', false, 9, Buffer.alloc(4))), /unknown video packet type 9/);
});

test('Enhanced RTMP video: ModEx prefixes (8- and 16-bit sizes) are skipped', () => {
  const payload = lengthPrefixed([IDR]);
  // ModEx, size 3 (UI8 2), TimestampOffsetNano data, then (modExType 0 << 4 | CodedFramesX)
  const mod8 = Buffer.concat([Buffer.from([0x97, 0x02, 0x01, 0x02, 0x03, 0x03]), Buffer.from('avc1'), payload]);
  assert.deepEqual(frameOf(video(mod8)).payload, payload);
  // UI8 255 -> 16-bit size follows: 0x0101 + 1 = 258 bytes, then a second ModEx of size 1, then CodedFrames
  const mod16 = Buffer.concat([
    Buffer.from([0x97, 0xff, 0x01, 0x01]), Buffer.alloc(258), Buffer.from([0x07, 0x00, 0xaa, 0x01]),
    Buffer.from('avc1'), Buffer.from([0, 0, 40]), payload,
  ]);
  const f = frameOf(video(mod16));
  assert.deepEqual([f.pts, f.keyframe], [1040, true]);
  assert.throws(() => video(Buffer.from([0x97, 0x05, 1, 2])), isCode('FLV_VIDEO_TRUNCATED'));
  assert.throws(() => video(Buffer.from([0x91, 0x61, 0x76])), isCode('FLV_VIDEO_TRUNCATED')); // FourCC cut
  assert.throws(() => video(exVideoTag('avc1', true, 1, Buffer.from([0, 1]))), isCode('FLV_VIDEO_TRUNCATED'));
});

test('AAC: sequence header, raw frames, unknown packet type', () => {
  const cfg = audio(Buffer.from([0xaf, 0x00, 0x12, 0x10]));
  assert.equal(cfg.kind, 'config');
  if (cfg.kind === 'config') {
    assert.deepEqual(cfg.config.info, { codec: 'aac', sampleRate: 44100, channels: 2, objectType: 2, codecString: 'mp4a.40.2' });
    assert.deepEqual(cfg.config.record, Buffer.from([0x12, 0x10]));
  }
  const f = frameOf(audio(Buffer.from([0xaf, 0x01, 0x21, 0x10, 0x04]), 77));
  assert.deepEqual([f.codec, f.dts, f.pts, f.keyframe, [...f.payload]], ['aac', 77, 77, true, [0x21, 0x10, 0x04]]);
  assert.equal(audio(Buffer.from([0xaf, 0x05, 1])).kind, 'skip');
  assert.throws(() => audio(Buffer.from([0xaf])), isCode('FLV_AUDIO_TRUNCATED'));
  assert.throws(() => audio(Buffer.from([0xaf, 0x00, 0x12])), (e) => e instanceof ProtocolError);
});

test('G.711: 8 kHz whatever the rate field says; channels from the type bit', () => {
  for (const [b0, codec, channels, codecString] of [
    [0x72, 'pcma', 1, 'alaw'], [0x7f, 'pcma', 2, 'alaw'], [0x82, 'pcmu', 1, 'ulaw'], [0x8e, 'pcmu', 1, 'ulaw'],
  ] as const) {
    const r = audio(Buffer.from([b0, 0xd5, 0x55, 0xd5]));
    assert.equal(r.kind, 'frame');
    if (r.kind !== 'frame') continue;
    assert.equal(r.frame.codec, codec);
    assert.deepEqual([...r.frame.payload], [0xd5, 0x55, 0xd5]);
    assert.deepEqual(r.impliedConfig?.info, { codec, sampleRate: 8000, channels, objectType: null, codecString });
    assert.equal(r.impliedConfig?.record.length, 0);
  }
});

test('MP3: rate/channels from the MPEG frame header, FLV flags as a fallback', () => {
  // ff fb 90 64: MPEG-1 Layer III, 128 kb/s, 44.1 kHz, joint stereo
  const r = audio(Buffer.from([0x2e, 0xff, 0xfb, 0x90, 0x64, 0, 0]));
  assert.equal(r.kind, 'frame');
  if (r.kind === 'frame') assert.deepEqual(r.impliedConfig?.info, { codec: 'mp3', sampleRate: 44100, channels: 2, objectType: null, codecString: 'mp4a.6B' });
  // ff f3 44 c4: MPEG-2 Layer III 24 kHz mono
  const m2 = audio(Buffer.from([0x2a, 0xff, 0xf3, 0x44, 0xc4]));
  if (m2.kind === 'frame') assert.deepEqual([m2.impliedConfig?.info.sampleRate, m2.impliedConfig?.info.channels], [24000, 1]);
  const noSync = audio(Buffer.from([0x29, 1, 2, 3, 4]));
  if (noSync.kind === 'frame') assert.deepEqual([noSync.impliedConfig?.info.sampleRate, noSync.impliedConfig?.info.channels], [22050, 2]);
  const mp38k = audio(Buffer.from([0xe2, 1, 2, 3, 4]));
  if (mp38k.kind === 'frame') assert.equal(mp38k.impliedConfig?.info.sampleRate, 8000);
});

test('other sound formats are skipped with a reason; empty message is quiet silence', () => {
  assert.deepEqual(audio(Buffer.from([0xb2, 1])), { kind: 'skip', reason: 'unsupported audio format 11 (Speex)' });
  assert.match((audio(Buffer.from([0x62, 1])) as { reason: string }).reason, /Nellymoser/);
  assert.match((audio(Buffer.from([0x32, 1])) as { reason: string }).reason, /linear PCM/);
  assert.deepEqual(audio(Buffer.alloc(0)), { kind: 'skip', reason: 'empty audio message (silence)', quiet: true });
});

test('Enhanced RTMP audio: mp4a, Opus, ModEx, multitrack, other FourCCs', () => {
  const cfg = audio(exAudioTag('mp4a', 0, Buffer.from([0x11, 0x88])));
  assert.equal(cfg.kind === 'config' && cfg.config.info.sampleRate, 48000);
  assert.deepEqual([...frameOf(audio(exAudioTag('mp4a', 1, Buffer.from([1, 2])))).payload], [1, 2]);
  const head = Buffer.concat([Buffer.from('OpusHead'), Buffer.from([1, 1, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 0])]);
  const opus = audio(exAudioTag('Opus', 0, head));
  assert.equal(opus.kind, 'config');
  if (opus.kind === 'config') assert.deepEqual([opus.config.codec, opus.config.info.channels, opus.config.info.sampleRate], ['opus', 1, 48000]);
  const empty = audio(exAudioTag('Opus', 0, Buffer.alloc(0)));
  assert.equal(empty.kind === 'config' && empty.config.info.channels, 2);
  assert.throws(() => audio(exAudioTag('Opus', 0, Buffer.from('OpusHeadxx'))), isCode('OPUS_HEAD_INVALID'));
  assert.equal(frameOf(audio(exAudioTag('Opus', 1, Buffer.from([0xfc, 1, 2])))).codec, 'opus');
  assert.equal(audio(exAudioTag('mp4a', 2, Buffer.alloc(0))).kind, 'end');
  const modEx = Buffer.concat([Buffer.from([0x97, 0x02, 0, 0, 1, 0x01]), Buffer.from('mp4a'), Buffer.from([9])]);
  assert.deepEqual([...frameOf(audio(modEx)).payload], [9]);
  assert.match((audio(Buffer.from([0x95, 0x00, 0x61])) as { reason: string }).reason, /multitrack audio/);
  assert.match((audio(exAudioTag('fLaC', 0, Buffer.alloc(4))) as { reason: string }).reason, /"fLaC"/);
  assert.match((audio(exAudioTag('ac-3', 1, Buffer.alloc(4))) as { reason: string }).reason, /"ac-3"/);
  assert.throws(() => audio(Buffer.from([0x90, 0x6d])), isCode('FLV_AUDIO_TRUNCATED'));
});
