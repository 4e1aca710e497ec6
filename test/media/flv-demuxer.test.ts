import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlvDemuxer, type DemuxOutput } from '../../src/media/flv-demuxer.js';
import type { CodecConfig, MediaFrame } from '../../src/media/frame.js';
import { annexBToLengthPrefixed, splitAnnexB } from '../../src/media/annexb.js';
import { buildAvcConfig } from '../../src/media/avc-config.js';
import { exAudioTag, exVideoTag, flvTags, legacyVideoTag, lengthPrefixed } from './flv-file.js';
import { fixture, probePackets, probeStreams, rate } from './ffprobe.js';

interface Collected {
  configs: CodecConfig[];
  frames: MediaFrame[];
  warnings: string[];
  order: DemuxOutput['type'][];
}

function collect(outputs: DemuxOutput[], into: Collected = { configs: [], frames: [], warnings: [], order: [] }): Collected {
  for (const o of outputs) {
    into.order.push(o.type);
    if (o.type === 'config') into.configs.push(o.config);
    else if (o.type === 'frame') into.frames.push(o.frame);
    else into.warnings.push(o.message);
  }
  return into;
}

function demuxFile(name: string): Collected & { demuxer: FlvDemuxer } {
  const demuxer = new FlvDemuxer();
  const c = collect([]);
  for (const tag of flvTags(fixture(name))) {
    if (tag.type === 8 || tag.type === 9) collect(demuxer.push(tag.type === 9 ? 'video' : 'audio', tag.timestamp, tag.body), c);
  }
  return { ...c, demuxer };
}

for (const name of ['h264-aac-bframes.flv', 'h264-pcma.flv', 'pcmu.flv', 'mp3.flv']) {
  test(`FLV from ffmpeg demuxes like ffprobe sees it: ${name}`, () => {
    const { configs, frames, warnings } = demuxFile(name);
    assert.deepEqual(warnings, []);
    const streams = probeStreams(name);
    for (const s of streams) {
      const cfg = configs.find((c) => c.track === s.codec_type);
      assert.ok(cfg, `config for ${s.codec_type}`);
      if (cfg.track === 'video') {
        assert.deepEqual(
          [cfg.info.width, cfg.info.height, cfg.info.fps, cfg.info.profile, cfg.info.level],
          [s.width, s.height, rate(s.r_frame_rate), s.profile, s.level],
        );
      } else {
        assert.deepEqual([cfg.info.sampleRate, cfg.info.channels], [Number(s.sample_rate), s.channels]);
        assert.equal(cfg.codec, { aac: 'aac', pcm_alaw: 'pcma', pcm_mulaw: 'pcmu', mp3: 'mp3' }[s.codec_name]);
      }
    }
    assert.equal(configs.length, streams.length, 'one config per stream, no repeats');
    const packets = probePackets(name);
    assert.equal(frames.length, packets.length);
    const keyframes = (list: { keyframe?: boolean; flags?: string }[]) =>
      list.filter((x) => x.keyframe ?? x.flags!.includes('K')).length;
    assert.equal(keyframes(frames.filter((f) => f.track === 'video')), keyframes(packets.filter((p) => p.codec_type === 'video')));
    frames.forEach((f, i) => {
      const p = packets[i];
      assert.deepEqual(
        [f.track, f.dts, f.pts, f.payload.length, f.keyframe],
        [p.codec_type, p.dts, p.pts, Number(p.size), p.flags.includes('K')],
        `frame ${i}`,
      );
    });
  });
}

test('B-frames: composition offsets survive (pts != dts, pts order differs from dts order)', () => {
  const video = demuxFile('h264-aac-bframes.flv').frames.filter((f) => f.track === 'video');
  assert.ok(video.some((f) => f.pts !== f.dts));
  assert.ok(video.some((f, i) => i > 0 && f.pts < video[i - 1].pts));
  for (let i = 1; i < video.length; i++) assert.ok(video[i].dts > video[i - 1].dts);
});

const HEVC = 'hevc-426x240p30.hevc';

/** Access units of the Annex-B fixture as ffprobe splits them, with made-up times crossing 2^32. */
function hevcAccessUnits() {
  const file = fixture(HEVC);
  const start = 0xffffff80;
  const cts = [66, 132, 0, -33, 33, 0];
  return probePackets(HEVC).map((p, i) => ({
    annexB: file.subarray(Number(p.pos), Number(p.pos) + Number(p.size)),
    keyframe: p.flags.includes('K'),
    raw: (start + i * 33) >>> 0,
    dts: start + i * 33,
    cts: cts[i % cts.length],
  }));
}

test('HEVC: legacy codec id 12, E-RTMP hvc1 and Annex-B-in-FLV demux to the same frames and config', () => {
  const units = hevcAccessUnits();
  assert.equal(units.length, 6);
  const hvcC = fixture('hevc-426x240p30.hvcC');
  const run = (header: Buffer, tagFor: (u: (typeof units)[number]) => Buffer) => {
    const d = new FlvDemuxer();
    const c = collect(d.push('video', units[0].raw, header));
    for (const u of units) collect(d.push('video', u.raw, tagFor(u)), c);
    assert.deepEqual(c.warnings, []);
    assert.equal(c.configs.length, 1);
    return c;
  };
  const legacy = run(legacyVideoTag(12, true, 0, 0, hvcC), (u) =>
    legacyVideoTag(12, u.keyframe, 1, u.cts, annexBToLengthPrefixed(u.annexB)),
  );
  const enhanced = run(exVideoTag('hvc1', true, 0, hvcC), (u) =>
    u.cts === 0
      ? exVideoTag('hvc1', u.keyframe, 3, annexBToLengthPrefixed(u.annexB))
      : exVideoTag('hvc1', u.keyframe, 1, annexBToLengthPrefixed(u.annexB), u.cts),
  );
  const paramSets = splitAnnexB(units[0].annexB).filter((n) => [32, 33, 34].includes((n[0] >> 1) & 0x3f));
  const annexBHeader = Buffer.concat(paramSets.flatMap((n) => [Buffer.from([0, 0, 0, 1]), n]));
  const annexB = run(exVideoTag('hvc1', true, 0, annexBHeader), (u) => exVideoTag('hvc1', u.keyframe, 1, u.annexB, u.cts));

  assert.deepEqual(enhanced.frames, legacy.frames);
  assert.deepEqual(annexB.frames, legacy.frames);
  assert.deepEqual(enhanced.configs, legacy.configs);
  assert.deepEqual(annexB.configs[0].info, legacy.configs[0].info);
  const [s] = probeStreams(HEVC);
  const info = legacy.configs[0].info;
  assert.ok(info.codec === 'h265' && 'width' in info);
  assert.deepEqual(
    [info.width, info.height, info.fps, info.profile, info.level, info.codecString],
    [s.width, s.height, rate(s.r_frame_rate), s.profile, s.level, 'hvc1.1.6.L60.90'],
  );
  legacy.frames.forEach((f, i) => {
    const u = units[i];
    assert.deepEqual([f.codec, f.dts, f.pts, f.keyframe], ['h265', u.dts, u.dts + u.cts, u.keyframe]);
    assert.deepEqual(f.payload, annexBToLengthPrefixed(u.annexB));
  });
  assert.ok(legacy.frames[5].dts > 2 ** 32, 'crossed the 32-bit wrap without a jump');
});

const nals = splitAnnexB(fixture('h264-720p25.h264'));
const byType = (t: number) => nals.filter((n) => (n[0] & 0x1f) === t);
const [SPS, PPS, IDR] = [byType(7)[0], byType(8)[0], byType(5)[0]];
const AVC_HEADER = legacyVideoTag(7, true, 0, 0, buildAvcConfig([SPS], [PPS]));

test('video config is emitted once per distinct record; NAL length size follows the config', () => {
  const d = new FlvDemuxer();
  const c = collect(d.push('video', 0, AVC_HEADER));
  collect(d.push('video', 10, AVC_HEADER), c);
  assert.equal(c.configs.length, 1);
  const twoByte = buildAvcConfig([SPS], [PPS]);
  twoByte[4] = 0xfd;
  collect(d.push('video', 20, legacyVideoTag(7, true, 0, 0, twoByte)), c);
  assert.equal(c.configs.length, 1, 'record normalized to 4-byte lengths: same config');
  collect(d.push('video', 30, legacyVideoTag(7, true, 1, 0, lengthPrefixed([IDR], 2))), c);
  assert.deepEqual(c.frames[0].payload, lengthPrefixed([IDR]));
  const other = splitAnnexB(fixture('h264-1080p30.h264'));
  const header1080 = legacyVideoTag(7, true, 0, 0, buildAvcConfig([other[0]], [other[1]]));
  collect(d.push('video', 40, header1080), c);
  assert.equal(c.configs.length, 2);
  assert.equal(d.videoConfig?.info.height, 1080);
  assert.deepEqual(c.order, ['config', 'frame', 'config']);
});

test('video frames before any config are dropped and counted; in-band SPS/PPS on a keyframe give a config', () => {
  const d = new FlvDemuxer();
  const c = collect(d.push('video', 0, legacyVideoTag(7, false, 1, 0, lengthPrefixed([IDR.subarray(0, 50)]))));
  collect(d.push('video', 40, legacyVideoTag(7, true, 1, 0, lengthPrefixed([IDR]))), c);
  assert.equal(d.stats.droppedVideoBeforeConfig, 2);
  assert.equal(c.frames.length, 0);
  assert.equal(c.warnings.length, 2);
  assert.match(c.warnings[1], /dropped before its sequence header \(2 so far\)/);
  const inband = Buffer.concat([Buffer.from([0, 0, 0, 1]), SPS, Buffer.from([0, 0, 0, 1]), PPS, Buffer.from([0, 0, 0, 1]), IDR]);
  collect(d.push('video', 80, legacyVideoTag(7, true, 1, 0, inband)), c);
  assert.deepEqual(c.order.slice(2), ['config', 'frame']);
  assert.equal(c.configs[0].info.codecString, 'avc1.64001f');
  // an HEVC frame while the config is H.264 is dropped too
  collect(d.push('video', 120, exVideoTag('hvc1', false, 3, lengthPrefixed([Buffer.from([2, 1, 0xd0])]))), c);
  assert.equal(d.stats.droppedVideoBeforeConfig, 3);
});

test('G.711 and MP3 configs are synthesised on the first frame and when the format changes', () => {
  const d = new FlvDemuxer();
  const c = collect([]);
  for (let i = 0; i < 3; i++) collect(d.push('audio', i * 20, Buffer.from([0x72, 0xd5, 0xd5])), c);
  collect(d.push('audio', 60, Buffer.from([0x82, 0xff])), c);
  collect(d.push('audio', 80, Buffer.from([0x83, 0xff])), c); // now stereo
  collect(d.push('audio', 100, Buffer.from([0x2e, 0xff, 0xfb, 0x90, 0x64])), c);
  collect(d.push('audio', 120, Buffer.from([0x2e, 0xff, 0xfb, 0x90, 0x64])), c);
  assert.deepEqual(c.order, ['config', 'frame', 'frame', 'frame', 'config', 'frame', 'config', 'frame', 'config', 'frame', 'frame']);
  assert.deepEqual(c.configs.map((x) => [x.codec, 'channels' in x.info ? x.info.channels : null]), [['pcma', 1], ['pcmu', 1], ['pcmu', 2], ['mp3', 2]]);
  assert.equal(d.audioConfig?.codec, 'mp3');
});

test('AAC frames before the AudioSpecificConfig are dropped; Opus without a header gets a default config', () => {
  const d = new FlvDemuxer();
  const c = collect(d.push('audio', 0, Buffer.from([0xaf, 0x01, 0x21])));
  assert.equal(d.stats.droppedAudioBeforeConfig, 1);
  collect(d.push('audio', 20, Buffer.from([0xaf, 0x00, 0x12, 0x10])), c);
  collect(d.push('audio', 40, Buffer.from([0xaf, 0x01, 0x21])), c);
  assert.deepEqual(c.order, ['warning', 'config', 'frame']);
  const o = new FlvDemuxer();
  const oc = collect(o.push('audio', 0, exAudioTag('Opus', 1, Buffer.from([0xfc, 0xff]))));
  assert.deepEqual(oc.order, ['config', 'frame']);
  assert.deepEqual([oc.configs[0].codec, 'channels' in oc.configs[0].info ? oc.configs[0].info.channels : null], ['opus', 2]);
});

test('unsupported codecs warn without throwing; quiet skips produce nothing', () => {
  const d = new FlvDemuxer();
  const c = collect(d.push('video', 0, Buffer.from([0x22, 0, 0])));
  collect(d.push('audio', 0, Buffer.from([0xb2, 0])), c);
  collect(d.push('video', 0, exVideoTag('av01', true, 0, Buffer.alloc(4))), c);
  assert.deepEqual(c.warnings, [
    'video: unsupported video codec id 2 (Sorenson H.263)',
    'audio: unsupported audio format 11 (Speex)',
    'video: unsupported video FourCC "av01"',
  ]);
  assert.deepEqual(d.push('audio', 0, Buffer.alloc(0)), []);
  assert.deepEqual(d.push('video', 0, Buffer.from([0x57, 0])), []);
  assert.equal(d.stats.skipped, 5);
});

test('timestamps: wrap continues, jitter stays small, a late track joins the other track epoch', () => {
  const d = new FlvDemuxer();
  collect(d.push('video', 0xffffffe0, AVC_HEADER));
  const frame = (ts: number) => {
    const out = d.push('video', ts, legacyVideoTag(7, false, 1, 0, lengthPrefixed([IDR.subarray(0, 20)])));
    return (out.find((o) => o.type === 'frame') as { frame: MediaFrame }).frame.dts;
  };
  assert.equal(frame(0xfffffff0), 0xfffffff0);
  assert.equal(frame(0x10), 2 ** 32 + 0x10);
  assert.equal(frame(0x08), 2 ** 32 + 0x08); // backwards jitter, not +2^32
  // audio starts after the wrap: it lands near video, not 49.7 days earlier
  const a = d.push('audio', 0x30, Buffer.from([0x72, 0xd5]));
  assert.equal((a.find((o) => o.type === 'frame') as { frame: MediaFrame }).frame.dts, 2 ** 32 + 0x30);
});
