/**
 * Hostile input: truncation at every offset, mutations and random bytes.
 * The only exception allowed out of the media code is ProtocolError, and no
 * parser may modify its input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../src/errors.js';
import { FlvDemuxer } from '../../src/media/flv-demuxer.js';
import { parseAudioBody, parseVideoBody } from '../../src/media/flv-media.js';
import { parseH264Sps } from '../../src/media/h264-sps.js';
import { parseHevcSps } from '../../src/media/hevc-sps.js';
import { parseAvcConfig, buildAvcConfig } from '../../src/media/avc-config.js';
import { parseHevcConfig } from '../../src/media/hevc-config.js';
import { parseAacConfig } from '../../src/media/aac-config.js';
import { splitAnnexB, toFourByteLengths } from '../../src/media/annexb.js';
import { exAudioTag, exVideoTag, flvTags, legacyVideoTag, lengthPrefixed, prng } from './flv-file.js';
import { fixture } from './ffprobe.js';

const avcNals = splitAnnexB(fixture('h264-720p25.h264'));
const [SPS, PPS, IDR] = [7, 8, 5].map((t) => avcNals.find((n) => (n[0] & 0x1f) === t)!);
const hevcNals = splitAnnexB(fixture('hevc-426x240p30.hevc'));
const HEVC_SPS = hevcNals.find((n) => ((n[0] >> 1) & 0x3f) === 33)!;
const HVCC = fixture('hevc-426x240p30.hvcC');
const AVCC = buildAvcConfig([SPS], [PPS]);
const OPUS_HEAD = Buffer.concat([Buffer.from('OpusHead'), Buffer.from([1, 2, 0x38, 1, 0x80, 0xbb, 0, 0, 0, 0, 0])]);
const annexB = (list: Buffer[]) => Buffer.concat(list.flatMap((n) => [Buffer.from([0, 0, 0, 1]), n]));

const VIDEO_BODIES: Record<string, Buffer> = {
  'legacy avc header': legacyVideoTag(7, true, 0, 0, AVCC),
  'legacy avc frame': legacyVideoTag(7, true, 1, -40, lengthPrefixed([IDR.subarray(0, 200), PPS])),
  'legacy avc end': legacyVideoTag(7, true, 2, 0, Buffer.alloc(0)),
  'legacy hevc header': legacyVideoTag(12, true, 0, 0, HVCC),
  'legacy hevc frame': legacyVideoTag(12, false, 1, 33, lengthPrefixed([hevcNals[5]])),
  'annex-b header': legacyVideoTag(7, true, 0, 0, annexB([SPS, PPS])),
  'annex-b frame': legacyVideoTag(7, true, 1, 0, annexB([SPS, PPS, IDR.subarray(0, 100)])),
  'ex avc1 start': exVideoTag('avc1', true, 0, AVCC),
  'ex hvc1 start': exVideoTag('hvc1', true, 0, HVCC),
  'ex hvc1 coded': exVideoTag('hvc1', true, 1, lengthPrefixed([hevcNals[4].subarray(0, 80)]), -20),
  'ex avc1 codedX': exVideoTag('avc1', false, 3, lengthPrefixed([IDR.subarray(0, 60)])),
  'ex modex': Buffer.concat([Buffer.from([0x97, 0x02, 1, 2, 3, 0x01]), Buffer.from('avc1'), Buffer.from([0, 0, 9]), lengthPrefixed([PPS])]),
  'ex metadata': exVideoTag('avc1', true, 4, Buffer.from([2, 0, 9, 0x63])),
};

const AUDIO_BODIES: Record<string, Buffer> = {
  'aac header': Buffer.from([0xaf, 0x00, 0x2b, 0x11, 0x88]),
  'aac frame': Buffer.from([0xaf, 0x01, 0x21, 0x10, 0x04, 0x60]),
  'pcma': Buffer.from([0x72, 0xd5, 0xd5, 0x55]),
  'mp3': Buffer.from([0x2e, 0xff, 0xfb, 0x90, 0x64, 0, 0]),
  'ex mp4a start': exAudioTag('mp4a', 0, Buffer.from([0x17, 0x80, 0x18, 0x1c, 0x88])),
  'ex opus start': exAudioTag('Opus', 0, OPUS_HEAD),
  'ex opus frame': exAudioTag('Opus', 1, Buffer.from([0xfc, 1, 2])),
  'ex modex': Buffer.concat([Buffer.from([0x97, 0xff, 0x00, 0x00]), Buffer.alloc(1), Buffer.from([0x01]), Buffer.from('mp4a'), Buffer.from([1])]),
};

/** Run fn; only ProtocolError may escape, and the input must be unchanged. */
function survives(input: Buffer, fn: () => unknown, label: string): 'ok' | 'protocol-error' {
  const copy = Buffer.from(input);
  try {
    fn();
    return 'ok';
  } catch (err) {
    if (!(err instanceof ProtocolError)) {
      assert.fail(`${label}: non-ProtocolError ${String(err)}\n${(err as Error).stack}`);
    }
    return 'protocol-error';
  } finally {
    assert.deepEqual(input, copy, `${label}: input modified`);
  }
}

test('valid bodies of every kind parse, and truncation at every offset only gives a skip or a ProtocolError', () => {
  for (const [name, body] of Object.entries(VIDEO_BODIES)) {
    assert.equal(survives(body, () => parseVideoBody(body, 0), name), 'ok', `${name} itself parses`);
    for (let i = 0; i < body.length; i++) {
      const cut = body.subarray(0, i);
      survives(cut, () => parseVideoBody(cut, 0, 4), `${name} cut at ${i}`);
      survives(cut, () => new FlvDemuxer().push('video', 0, cut), `${name} cut at ${i} (demuxer)`);
    }
  }
  for (const [name, body] of Object.entries(AUDIO_BODIES)) {
    assert.equal(survives(body, () => parseAudioBody(body, 0), name), 'ok', `${name} itself parses`);
    for (let i = 0; i < body.length; i++) {
      const cut = body.subarray(0, i);
      survives(cut, () => parseAudioBody(cut, 0), `${name} cut at ${i}`);
      survives(cut, () => new FlvDemuxer().push('audio', 0, cut), `${name} cut at ${i} (demuxer)`);
    }
  }
});

test('codec parsers: truncation at every offset', () => {
  const cases: Array<[string, Buffer, (b: Buffer) => unknown]> = [
    ['h264 sps', SPS, parseH264Sps],
    ['hevc sps', HEVC_SPS, parseHevcSps],
    ['avcC', AVCC, parseAvcConfig],
    ['hvcC', HVCC, parseHevcConfig],
    ['asc', Buffer.from([0x17, 0x80, 0x18, 0x1c, 0x88]), parseAacConfig],
  ];
  for (const [name, full, parse] of cases) {
    for (let i = 0; i <= full.length; i++) {
      const cut = full.subarray(0, i);
      survives(cut, () => parse(cut), `${name} cut at ${i}`);
    }
  }
});

test('seeded mutations of valid bodies and parameter sets (several thousand cases)', () => {
  const rand = prng(0x5eed);
  const int = (n: number) => Math.floor(rand() * n);
  const mutate = (src: Buffer): Buffer => {
    const b = Buffer.from(src);
    const edits = 1 + int(4);
    for (let e = 0; e < edits; e++) {
      const p = int(b.length);
      switch (int(4)) {
        case 0: b[p] = int(256); break;
        case 1: b[p] ^= 1 << int(8); break;
        case 2: b[p] = [0, 0xff, 1, 0x80][int(4)]; break;
        default: b.fill(0xff, p, Math.min(b.length, p + 1 + int(4)));
      }
    }
    return int(3) === 0 ? b.subarray(0, int(b.length + 1)) : b;
  };
  const parsers: Array<[Buffer, (b: Buffer) => unknown]> = [
    [SPS, parseH264Sps],
    [HEVC_SPS, parseHevcSps],
    [AVCC, parseAvcConfig],
    [HVCC, parseHevcConfig],
    [Buffer.from([0x2b, 0x11, 0x88]), parseAacConfig],
  ];
  let errors = 0;
  let cases = 0;
  for (let round = 0; round < 150; round++) {
    for (const [name, body] of Object.entries(VIDEO_BODIES)) {
      const m = mutate(body);
      for (const size of [1, 2, 4]) {
        cases++;
        if (survives(m, () => parseVideoBody(m, round, size), `video ${name} round ${round}`) !== 'ok') errors++;
      }
    }
    for (const [name, body] of Object.entries(AUDIO_BODIES)) {
      const m = mutate(body);
      cases++;
      if (survives(m, () => parseAudioBody(m, round), `audio ${name} round ${round}`) !== 'ok') errors++;
    }
    for (const [src, parse] of parsers) {
      const m = mutate(src);
      cases++;
      if (survives(m, () => parse(m), `parser round ${round}`) !== 'ok') errors++;
    }
  }
  assert.ok(cases > 7000, `${cases} cases`);
  assert.ok(errors > 0 && errors < cases, `${errors} of ${cases} rejected`);
});

test('random bytes into a demuxer: only ProtocolError escapes (seeded, 5000 messages)', () => {
  const rand = prng(42);
  const int = (n: number) => Math.floor(rand() * n);
  const d = new FlvDemuxer();
  // give it real configs first so frame paths with length sizes are reached too
  d.push('video', 0, VIDEO_BODIES['legacy avc header']);
  d.push('audio', 0, AUDIO_BODIES['aac header']);
  const firstBytes = [0x17, 0x27, 0x1c, 0x2c, 0x90, 0x91, 0x93, 0x97, 0x96, 0xaf, 0x72, 0x82, 0x2e, 0x9f, 0x57, 0xd1];
  for (let i = 0; i < 5000; i++) {
    const body = Buffer.alloc(int(64));
    for (let j = 0; j < body.length; j++) body[j] = int(256);
    if (body.length > 0 && int(2)) body[0] = firstBytes[int(firstBytes.length)];
    if (body.length > 5 && int(3) === 0) body.write(['avc1', 'hvc1', 'mp4a', 'Opus'][int(4)], 1 + int(2), 'latin1');
    const track = int(2) ? 'video' : 'audio';
    survives(body, () => d.push(track, int(2 ** 32), body), `random ${i}`);
  }
});

test('a real FLV with every tag mutated survives the demuxer', () => {
  const rand = prng(7);
  const tags = [...flvTags(fixture('h264-aac-bframes.flv'))].filter((t) => t.type === 8 || t.type === 9);
  for (let round = 0; round < 5; round++) {
    const d = new FlvDemuxer();
    for (const tag of tags) {
      const body = Buffer.from(tag.body);
      if (rand() < 0.3) body[Math.floor(rand() * body.length)] = Math.floor(rand() * 256);
      survives(body, () => d.push(tag.type === 9 ? 'video' : 'audio', tag.timestamp, body), 'mutated flv');
    }
  }
});

test('NAL length past the end is a ProtocolError, not a RangeError', () => {
  assert.throws(() => toFourByteLengths(Buffer.from([0x7f, 0xff, 0xff, 0xff, 1]), 4), ProtocolError);
  assert.throws(() => parseVideoBody(legacyVideoTag(7, true, 1, 0, Buffer.from([0, 0, 0, 9, 0x65])), 0), ProtocolError);
});
