/**
 * Media targets: FLV / E-RTMP tag bodies, the per-stream demuxer, codec
 * configuration records and parameter sets (H.264/HEVC SPS, avcC, hvcC, AAC
 * AudioSpecificConfig), the bit reader, and NAL framing (Annex-B and
 * length-prefixed) with round trips.
 */
import fc from 'fast-check';
import { annexBToLengthPrefixed, lengthPrefix, splitAnnexB, splitLengthPrefixed, toFourByteLengths } from '../../src/media/annexb.js';
import { parseAacConfig } from '../../src/media/aac-config.js';
import { buildAvcConfig, parseAvcConfig } from '../../src/media/avc-config.js';
import { BitReader, removeEmulationPrevention } from '../../src/media/bit-reader.js';
import { opusConfig, parseMp3Header } from '../../src/media/flv-audio.js';
import { FlvDemuxer } from '../../src/media/flv-demuxer.js';
import { normalizeNalPayload, parseAudioBody, parseVideoBody } from '../../src/media/flv-media.js';
import type { CodecConfig, Track } from '../../src/media/frame.js';
import { MAX_PICTURE_DIMENSION, parseH264Sps } from '../../src/media/h264-sps.js';
import { buildHevcConfig, parseHevcConfig } from '../../src/media/hevc-config.js';
import { parseHevcSps } from '../../src/media/hevc-sps.js';
import { corpus } from './corpus.js';
import { bytesFrom } from './mutate.js';
import { bounded, byteTarget, check, same, unmodified, valueTarget, type FuzzTarget } from './target.js';

function checkPicture(w: number, h: number): void {
  check(Number.isInteger(w) && Number.isInteger(h) && w > 0 && h > 0 && w <= MAX_PICTURE_DIMENSION && h <= MAX_PICTURE_DIMENSION, `picture size ${w}x${h}`);
}

function checkConfig(config: CodecConfig, input: Buffer): void {
  check(config.record.length <= 2 * input.length + 64, `config record of ${config.record.length} bytes from ${input.length}`);
  if (config.track === 'video') checkPicture(config.info.width, config.info.height);
  else check(config.info.sampleRate > 0 && config.info.channels >= 0 && config.info.channels <= 255, `audio info ${JSON.stringify(config.info)}`);
}

const flvVideoBody = byteTarget({
  name: 'flv-video-body',
  what: 'parseVideoBody: legacy AVC/HEVC and E-RTMP tags (fixture FLVs, HEVC), NAL length size 1/2/4',
  weight: 2,
  arbitrary: () => bytesFrom(corpus().videoBodies, { maxRandom: 300 }),
  run(body) {
    unmodified(body, () => {
      for (const nalLengthSize of [1, 2, 4]) {
        const r = bounded(() => parseVideoBody(body, 1000, nalLengthSize));
        if (!r.ok) continue;
        const v = r.value;
        if (v.kind === 'frame') {
          check(v.frame.payload.length > 0 && v.frame.payload.length <= 4 * body.length + 4, `frame payload of ${v.frame.payload.length} bytes from ${body.length}`);
          check(Number.isInteger(v.frame.pts) && Math.abs(v.frame.pts - 1000) <= 0x800000, `pts ${v.frame.pts}`);
          // frames always come out with 4-byte lengths that split cleanly
          bounded(() => splitLengthPrefixed(v.frame.payload, 4)).ok || check(false, 'frame payload is not 4-byte length-prefixed');
        } else if (v.kind === 'config') {
          checkConfig(v.config, body);
          check([1, 2, 4].includes(v.nalLengthSize), `nalLengthSize ${v.nalLengthSize}`);
        }
      }
    });
  },
});

const flvAudioBody = byteTarget({
  name: 'flv-audio-body',
  what: 'parseAudioBody: AAC, G.711, MP3, E-RTMP Opus/mp4a/.mp3, ModEx',
  arbitrary: () => bytesFrom(corpus().audioBodies, { maxRandom: 300 }),
  run(body) {
    unmodified(body, () => {
      const r = bounded(() => parseAudioBody(body, 0));
      if (r.ok && r.value.kind === 'config') checkConfig(r.value.config, body);
      if (r.ok && r.value.kind === 'frame') {
        check(r.value.frame.payload.length <= body.length, 'audio frame larger than its message');
        if (r.value.impliedConfig) checkConfig(r.value.impliedConfig, body);
      }
      bounded(() => opusConfig(body));
      const mp3 = parseMp3Header(body);
      if (mp3) check([8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000].includes(mp3.sampleRate), `MP3 rate ${mp3.sampleRate}`);
    });
  },
});

/** Tags of a (possibly damaged) FLV file, leniently: bodies clipped at the end of the bytes. */
function* looseTags(file: Buffer): Generator<{ track: Track; timestamp: number; body: Buffer }> {
  let pos = 13;
  while (pos + 11 <= file.length) {
    const type = file[pos] & 0x1f;
    const size = file.readUIntBE(pos + 1, 3);
    const timestamp = (file.readUIntBE(pos + 4, 3) + file[pos + 7] * 0x1000000) >>> 0;
    const body = file.subarray(pos + 11, Math.min(file.length, pos + 11 + size));
    if (type === 8 || type === 9) yield { track: type === 8 ? 'audio' : 'video', timestamp, body };
    pos += 11 + size + 4;
  }
}

const flvDemuxer = byteTarget({
  name: 'flv-demuxer',
  what: 'FlvDemuxer over every tag of fixture and recorder-written FLV files, mutated (as ingest uses it)',
  weight: 2,
  arbitrary: () => bytesFrom(corpus().flvFiles, { maxRandom: 1024 }),
  run(file) {
    const d = new FlvDemuxer();
    const current: Partial<Record<Track, string>> = {};
    unmodified(file, () => {
      for (const tag of looseTags(file)) {
        const r = bounded(() => d.push(tag.track, tag.timestamp, tag.body));
        if (!r.ok) continue; // ingest skips a damaged message and goes on
        for (const o of r.value) {
          if (o.type === 'config') {
            checkConfig(o.config, tag.body);
            current[o.config.track] = o.config.codec;
          } else if (o.type === 'frame') {
            check(current[o.frame.track] === o.frame.codec, `${o.frame.codec} frame before its config (config: ${current[o.frame.track]})`);
            check(Number.isSafeInteger(o.frame.dts), `dts ${o.frame.dts}`);
          }
        }
      }
    });
  },
});

const avcConfig = byteTarget({
  name: 'avc-config',
  what: 'parseAvcConfig, then its SPS and a rebuilt record (buildAvcConfig) parsed again',
  arbitrary: () => bytesFrom(corpus().avcc, { maxRandom: 128 }),
  run(record) {
    const r = unmodified(record, () => bounded(() => parseAvcConfig(record)));
    if (!r.ok) return;
    for (const n of [...r.value.sps, ...r.value.pps]) check(n.length > 0 && n.buffer === record.buffer, 'NAL outside the record');
    const rebuilt = bounded(() => buildAvcConfig(r.value.sps, r.value.pps));
    if (rebuilt.ok) {
      const again = parseAvcConfig(rebuilt.value);
      same(again.sps.map((b) => b.toString('hex')), r.value.sps.map((b) => b.toString('hex')), 'SPS lost by buildAvcConfig');
      same(again.pps.map((b) => b.toString('hex')), r.value.pps.map((b) => b.toString('hex')), 'PPS lost by buildAvcConfig');
      check(again.nalLengthSize === 4, 'rebuilt record is not 4-byte');
    }
  },
});

const hevcConfig = byteTarget({
  name: 'hevc-config',
  what: 'parseHevcConfig, then its SPS and a rebuilt record (buildHevcConfig) parsed again',
  arbitrary: () => bytesFrom(corpus().hvcc, { maxRandom: 200 }),
  run(record) {
    const r = unmodified(record, () => bounded(() => parseHevcConfig(record)));
    if (!r.ok) return;
    const rebuilt = bounded(() => buildHevcConfig(r.value.vps, r.value.sps, r.value.pps));
    if (rebuilt.ok) {
      const again = parseHevcConfig(rebuilt.value);
      same(again.sps.map((b) => b.toString('hex')), r.value.sps.map((b) => b.toString('hex')), 'SPS lost by buildHevcConfig');
      same(again.pps.length, r.value.pps.length, 'PPS lost by buildHevcConfig');
    }
  },
});

const h264Sps = byteTarget({
  name: 'h264-sps',
  what: 'parseH264Sps: SPS from 3 ffmpeg/x264 streams (High 4:2:2 with scaling lists, interlaced, cropping)',
  arbitrary: () => bytesFrom(corpus().h264Sps, { maxRandom: 64 }),
  run(nal) {
    const r = unmodified(nal, () => bounded(() => parseH264Sps(nal)));
    if (r.ok) {
      checkPicture(r.value.width, r.value.height);
      check(r.value.fps === null || (r.value.fps >= 0.1 && r.value.fps <= 1000), `fps ${r.value.fps}`);
    }
  },
});

const hevcSps = byteTarget({
  name: 'hevc-sps',
  what: 'parseHevcSps: x265 SPS (conformance window, VUI timing)',
  arbitrary: () => bytesFrom(corpus().hevcSps, { maxRandom: 64 }),
  run(nal) {
    const r = unmodified(nal, () => bounded(() => parseHevcSps(nal)));
    if (r.ok) {
      checkPicture(r.value.width, r.value.height);
      check(r.value.fps === null || (r.value.fps >= 0.1 && r.value.fps <= 1000), `fps ${r.value.fps}`);
    }
  },
});

const aacConfig = byteTarget({
  name: 'aac-config',
  what: 'parseAacConfig: LC, HE-AAC (SBR/PS), escape object types, explicit frequencies',
  arbitrary: () => bytesFrom(corpus().asc, { maxRandom: 16 }),
  run(asc) {
    const r = unmodified(asc, () => bounded(() => parseAacConfig(asc)));
    if (r.ok) check(r.value.sampleRate > 0 && r.value.sampleRate < 2 ** 24 && r.value.channels >= 0 && r.value.channels <= 24, `AAC ${JSON.stringify(r.value)}`);
  },
});

type BitOp = { op: 'bits'; n: number } | { op: 'ue' } | { op: 'se' } | { op: 'skip'; n: number } | { op: 'bit' };

const bitReader = valueTarget<{ data: Uint8Array; ops: BitOp[] }>({
  name: 'bit-reader',
  what: 'BitReader: any sequence of readBits/readUE/readSE/skipBits/readBit on any bytes; emulation prevention removal',
  arbitrary: () =>
    fc.record({
      data: fc.uint8Array({ maxLength: 24 }),
      ops: fc.array(
        fc.oneof(
          fc.record({ op: fc.constant('bits' as const), n: fc.integer({ min: 0, max: 32 }) }),
          fc.record({ op: fc.constant('ue' as const) }),
          fc.record({ op: fc.constant('se' as const) }),
          fc.record({ op: fc.constant('skip' as const), n: fc.integer({ min: 0, max: 70 }) }),
          fc.record({ op: fc.constant('bit' as const) }),
        ),
        { maxLength: 30 },
      ),
    }),
  run({ data, ops }) {
    const r = new BitReader(data);
    const total = data.length * 8;
    bounded(() => {
      for (const o of ops) {
        const before = r.bitPosition;
        let v: number;
        if (o.op === 'bits') v = r.readBits(o.n);
        else if (o.op === 'ue') v = r.readUE();
        else if (o.op === 'se') v = r.readSE();
        else if (o.op === 'bit') v = r.readBit();
        else {
          r.skipBits(o.n);
          v = 0;
        }
        check(r.bitPosition >= before && r.bitPosition <= total && r.bitsLeft === total - r.bitPosition, 'bit position out of range');
        check(Number.isSafeInteger(v), `${o.op} gave ${v}`);
        if (o.op === 'bits') check(v >= 0 && v < 2 ** o.n, `readBits(${o.n}) gave ${v}`);
        if (o.op === 'ue') check(v >= 0 && v <= 2 ** 32 - 2, `readUE gave ${v}`);
      }
    });
    const rbsp = removeEmulationPrevention(data);
    check(rbsp.length <= data.length, 'RBSP longer than the NAL');
  },
});

const annexB = byteTarget({
  name: 'annexb',
  what: 'splitAnnexB, splitLengthPrefixed (1-4), toFourByteLengths, normalizeNalPayload on NAL payloads',
  arbitrary: () => bytesFrom([...corpus().annexB, ...corpus().lengthPrefixed], { maxRandom: 200 }),
  run(data) {
    unmodified(data, () => {
      const nals = splitAnnexB(data);
      for (const n of nals) {
        check(n.length > 0 && n.buffer === data.buffer, 'Annex-B NAL empty or not a view of the input');
        check(n[n.length - 1] !== 0, 'Annex-B NAL keeps a trailing zero');
        check(n.indexOf(Buffer.from([0, 0, 1])) < 0, 'Annex-B NAL contains a start code');
      }
      same(splitLengthPrefixed(annexBToLengthPrefixed(data), 4).map((b) => b.toString('hex')), nals.map((b) => b.toString('hex')), 'annexBToLengthPrefixed lost NALs');
      for (const size of [1, 2, 3, 4]) {
        const split = bounded(() => splitLengthPrefixed(data, size));
        const four = bounded(() => toFourByteLengths(data, size));
        same(split.ok, four.ok, 'splitLengthPrefixed and toFourByteLengths disagree');
        if (split.ok && four.ok) same(splitLengthPrefixed(four.value, 4).map((b) => b.toString('hex')), split.value.map((b) => b.toString('hex')), `toFourByteLengths(${size}) changed the NALs`);
      }
      for (const size of [1, 2, 4]) {
        const n = bounded(() => normalizeNalPayload(data, size));
        if (n.ok) check(bounded(() => splitLengthPrefixed(n.value, 4)).ok, 'normalized payload is not 4-byte length-prefixed');
      }
    });
  },
});

/** A NAL as an encoder writes it: emulation prevention applied, a non-zero last byte. */
function escapeNal(raw: Uint8Array): Buffer {
  const out: number[] = [];
  let zeros = 0;
  for (const b of raw) {
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  out.push(0x80); // rbsp_stop_one_bit
  return Buffer.from(out);
}

const nalRoundTrip = valueTarget<{ nals: Uint8Array[]; long: boolean[] }>({
  name: 'nal-roundtrip',
  what: 'NALs -> Annex-B (3/4-byte start codes) -> splitAnnexB, and -> lengthPrefix -> splitLengthPrefixed',
  arbitrary: () => fc.record({ nals: fc.array(fc.uint8Array({ minLength: 1, maxLength: 60 }), { minLength: 1, maxLength: 8 }), long: fc.array(fc.boolean(), { maxLength: 8 }) }),
  run({ nals, long }) {
    const escaped = nals.map(escapeNal);
    const stream = Buffer.concat(escaped.flatMap((n, i) => [Buffer.from(long[i] ? [0, 0, 0, 1] : [0, 0, 1]), n]));
    same(splitAnnexB(stream).map((b) => b.toString('hex')), escaped.map((b) => b.toString('hex')), 'splitAnnexB(join) differs');
    same(splitLengthPrefixed(lengthPrefix(escaped), 4).map((b) => b.toString('hex')), escaped.map((b) => b.toString('hex')), 'length-prefixed round trip differs');
    same(removeEmulationPrevention(escaped[0]).subarray(0, -1).toString('hex'), Buffer.from(nals[0]).toString('hex'), 'emulation prevention round trip differs');
  },
});

export const mediaTargets: FuzzTarget<never>[] = [
  flvVideoBody, flvAudioBody, flvDemuxer, avcConfig, hevcConfig, h264Sps, hevcSps, aacConfig, bitReader, annexB, nalRoundTrip,
] as FuzzTarget<never>[];
